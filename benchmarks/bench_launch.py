"""Time from launch to the first 200 on /healthz, and the bundle sizes.

    python benchmarks/bench_launch.py [--runs 5] [--exe dist/tmdesk]
                                      [--onedir dist/tmdesk-folder/tmdesk]

Build first with ``python build/build.py --onedir``. Each target starts with
``TMDESK_NO_BROWSER=1`` in a temporary data folder: the first run creates the
database (a first launch), the later runs reuse it (a usual launch). The port
is read from the instance file the server writes, then /healthz is polled
every 10 ms. Target: under 2 s to ready.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def children_cpu() -> float:
    """CPU seconds used so far by this process's finished children (and theirs)."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_to_ready(
    command: list[str], data: Path, logs: Path, timeout: float = 60.0
) -> tuple[float, float]:
    """Seconds from starting ``command`` to the first 200 from its /healthz, and the
    CPU seconds the launch used (start to stop: a figure a busy machine does not inflate).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDESK_")}
    env.update(TMDESK_NO_BROWSER="1", TMDESK_DATA_DIR=str(data), TMDESK_LOG_DIR=str(logs))
    info_file = data / "tmdesk-instance.json"
    cpu_before = children_cpu()
    wall_start = time.time()
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        port = None
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"{command} exited with {proc.returncode}")
            if port is None:
                try:
                    info = json.loads(info_file.read_text())
                    # (the single file's Python runs in a child of the bootloader,
                    # so the pid in the file is not proc.pid)
                    if info.get("started", 0) >= wall_start - 1:
                        port = info["port"]
                except (OSError, ValueError):
                    pass
            if port is not None:
                try:
                    with OPENER.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                        if r.status == 200:
                            ready = time.perf_counter() - started
                            break
                except OSError:
                    pass
            time.sleep(0.01)
        else:
            raise RuntimeError(f"{command} not ready within {timeout} s")
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return ready, children_cpu() - cpu_before


def measure(name: str, command: list[str], runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="tmdesk-bench-") as tmp:
        data, logs = Path(tmp) / "data", Path(tmp) / "logs"
        first, _first_cpu = time_to_ready(command, data, logs)
        runs_ = [time_to_ready(command, data, logs) for _ in range(runs)]
    warm = [wall for wall, _cpu in runs_]
    cpu = [cpu for _wall, cpu in runs_]
    result = {
        "name": name,
        "first": first,
        "median": statistics.median(warm),
        "min": min(warm),
        "max": max(warm),
        "cpu": statistics.median(cpu),
    }
    print(
        f"{name:<40} first {first:5.2f} s | usual: median {result['median']:5.2f} s  "
        f"min {result['min']:5.2f} s  max {result['max']:5.2f} s | "
        f"CPU {result['cpu']:4.2f} s",
        flush=True,
    )
    return result


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    exe_name = "tmdesk.exe" if os.name == "nt" else "tmdesk"
    parser.add_argument("--exe", type=Path, default=ROOT / "dist" / exe_name)
    parser.add_argument("--onedir", type=Path, default=ROOT / "dist" / "tmdesk-folder" / exe_name)
    args = parser.parse_args(argv)

    try:
        load = "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        load = ""
    print(f"{os.cpu_count()} CPUs {load}; {args.runs} usual launches after a first one")
    targets = [
        (
            "python -m tmdesk serve --port 0",
            [sys.executable, "-m", "tmdesk", "serve", "--port", "0", "--no-browser"],
        ),
        ("python -m tmdesk (desktop launch)", [sys.executable, "-m", "tmdesk"]),
    ]
    if args.exe.is_file():
        targets += [
            ("single file: tmdesk (desktop launch)", [str(args.exe)]),
            (
                "single file: tmdesk serve --port 0",
                [str(args.exe), "serve", "--port", "0", "--no-browser"],
            ),
        ]
    else:
        print(f"(no single file at {args.exe}: build it with python build/build.py)")
    if args.onedir.is_file():
        targets.append(("folder layout: tmdesk (desktop launch)", [str(args.onedir)]))
    else:
        print(f"(no folder layout at {args.onedir}: python build/build.py --onedir)")
    for name, command in targets:
        measure(name, command, args.runs)
    if args.exe.is_file():
        print(f"single file size: {args.exe.stat().st_size / 2**20:.1f} MiB")
    if args.onedir.is_file():
        print(f"folder layout size: {folder_size(args.onedir.parent) / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
