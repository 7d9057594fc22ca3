"""Benchmark: sealing and opening a 50 MB exchange file (issue #14).

Run by hand: ``python benchmarks/bench_exchange_envelope.py [--mb 50]``.
Each step runs in a fresh process so the peak memory printed is its own:
sealing (compress, sign, encrypt, write) and opening (read, decrypt,
verify, decompress) a payload of realistic JSON (compresses well) and of
random bytes (does not compress: the worst case for size and memory).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def peak_mb() -> float:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def make_payload(kind: str, size: int) -> bytes:
    if kind == "random":
        return os.urandom(size)
    rng = random.Random(14)
    rows, total = [], 0
    while total < size:
        row = json.dumps(
            {
                "uid": f"0193a7{rng.getrandbits(80):020x}",
                "title_uk": f"Проєкт кіберстійкості {rng.randint(1, 99999)}",
                "summary_en": "Security operations centre equipment and analyst training. " * 2,
                "budget": rng.randint(10_000, 5_000_000),
                "tlp": rng.choice(["CLEAR", "GREEN", "AMBER"]),
            },
            ensure_ascii=False,
        )
        rows.append(row)
        total += len(row.encode()) + 2
    return ("[" + ",\n".join(rows) + "]").encode()[:size]


def step(work: Path, what: str, kind: str, size: int) -> None:
    """One measured step, in this (fresh) process."""
    from tmdesk.core.bootstrap import open_database
    from tmdesk.exchange import envelope, trust
    from tmdesk.exchange.keys import installation_keys

    sender = installation_keys(work / "desk")
    receiver = installation_keys(work / "office")
    open_database(work / "office")
    path = work / f"{kind}.tmx"
    if what == "prepare":
        (work / f"{kind}.payload").write_bytes(make_payload(kind, size))
    elif what == "seal":
        payload = (work / f"{kind}.payload").read_bytes()
        before = peak_mb()
        start = time.perf_counter()
        data = envelope.seal(
            payload,
            kind="bench",
            sender=sender,
            recipient=receiver.public,
            addressed_to="office",
            sequence=1,
        )
        path.write_bytes(data)
        took = time.perf_counter() - start
        print(
            f"seal {kind:6}  {len(payload) / 1e6:5.1f} MB -> {len(data) / 1e6:5.1f} MB file  "
            f"{took:5.2f} s  peak {peak_mb():4.0f} MB (payload in memory: {before:4.0f} MB)"
        )
    else:
        if trust.find_key(sender.fingerprint) is None:
            trust.pin_linked_key(None, sender.public, role=trust.ROLE_DESK, person_email="d@x.org")
        before = peak_mb()
        start = time.perf_counter()
        opened = envelope.open_sealed(
            envelope.read_file(path), receiver=receiver, addressed_to="office"
        )
        took = time.perf_counter() - start
        print(
            f"open {kind:6}  {path.stat().st_size / 1e6:5.1f} MB file -> "
            f"{len(opened.payload) / 1e6:5.1f} MB  {took:5.2f} s  peak {peak_mb():4.0f} MB "
            f"(before: {before:4.0f} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--step", nargs=4, metavar=("WORK", "WHAT", "KIND", "SIZE"))
    args = parser.parse_args()
    if args.step:
        work, what, kind, size = args.step
        step(Path(work), what, kind, int(size))
        return
    print(f"load: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("json", "random"):
            for what in ("prepare", "seal", "open"):
                subprocess.run(
                    [sys.executable, __file__, "--step", tmp, what, kind, str(args.mb * 10**6)],
                    check=True,
                )


if __name__ == "__main__":
    main()
