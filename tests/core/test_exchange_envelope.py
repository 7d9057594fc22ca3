"""Exchange files: the round trip, and every reason a file is refused (changing nothing).

One database plays the receiving installation; the sender's and other
installations' keys live in their own folders, as on separate machines.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import threading
import time
import tracemalloc
import zlib
from types import SimpleNamespace

import pytest
from nacl.public import PublicKey, SealedBox

from tmdesk.core.db import database
from tmdesk.core.models import AuditEvent, TrustedKey
from tmdesk.exchange import envelope, errors, trust
from tmdesk.exchange.envelope import ExchangeRefused, open_sealed, seal
from tmdesk.exchange.keys import installation_keys

PAYLOAD = json.dumps({"actions": [{"op": "submit", "title": "Навчання SOC"}] * 50}).encode()


@pytest.fixture
def world(tmp_path, db):
    """The receiver (this database, an office), a trusted desk, and strangers."""
    me = installation_keys(tmp_path / "office")
    desk = installation_keys(tmp_path / "desk")
    stranger = installation_keys(tmp_path / "stranger")
    other_office = installation_keys(tmp_path / "other-office")
    peer = trust.trust_key(
        None,
        desk.public.text,
        fingerprint=desk.fingerprint,
        role=trust.ROLE_DESK,
        person_email="olena@example.org",
    )
    return {"me": me, "desk": desk, "stranger": stranger, "other": other_office, "peer": peer}


def from_desk(world, sequence: int = 1, *, payload: bytes = PAYLOAD, **overrides) -> bytes:
    args = {
        "kind": "desk-to-office",
        "sender": world["desk"],
        "recipient": world["me"].public,
        "addressed_to": "office",
        "sequence": sequence,
    }
    args.update(overrides)
    return seal(payload, **args)


def open_here(world, data: bytes, **kw):
    kw.setdefault("receiver", world["me"])
    kw.setdefault("addressed_to", "office")
    return open_sealed(data, **kw)


def refused(world, data: bytes, **kw) -> ExchangeRefused:
    before = (TrustedKey.get_by_id(world["peer"].id).last_in, AuditEvent.select().count())
    with pytest.raises(ExchangeRefused) as caught:
        open_here(world, data, **kw)
    after = (TrustedKey.get_by_id(world["peer"].id).last_in, AuditEvent.select().count())
    assert before == after, "a refused file changed something"
    return caught.value


def test_round_trip(world):
    created = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
    data = from_desk(world, created=created)
    assert data.startswith(envelope.MAGIC)
    assert PAYLOAD not in data and b"SOC" not in data  # encrypted
    opened = open_here(world, data, kind="desk-to-office")
    assert opened.payload == PAYLOAD
    assert opened.kind == "desk-to-office"
    assert opened.sender_fingerprint == world["desk"].fingerprint
    assert (opened.sender_role, opened.sender_email) == ("desk", "olena@example.org")
    assert (opened.addressed_to, opened.sequence, opened.created) == ("office", 1, created)
    imported = trust.accept(opened, lambda o: len(o.payload))
    assert imported == len(PAYLOAD)
    assert TrustedKey.get_by_id(world["peer"].id).last_in == 1
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert event.action == "exchange.import"
    assert json.loads(event.after)["file_sha256"] == opened.file_sha256
    # the next one follows
    assert open_here(world, from_desk(world, 2)).sequence == 2


def test_an_empty_payload_travels(world):
    assert open_here(world, from_desk(world, payload=b"")).payload == b""


def _flip(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


def test_one_changed_byte_anywhere_is_refused(world):
    data = from_desk(world)
    positions = sorted(set(range(0, 40)) | set(range(40, len(data), max(1, len(data) // 60))))
    positions.append(len(data) - 1)
    for i in positions:
        refused(world, _flip(data, i))
    # past the 33-byte prefix (magic, version, recipient) the reason is "changed or damaged"
    for i in (33, 40, len(data) // 2, len(data) - 1):
        assert refused(world, _flip(data, i)).code == errors.REFUSED_DAMAGED
    assert open_here(world, data).payload == PAYLOAD  # the original still opens


def test_a_truncated_or_extended_file_is_refused(world):
    data = from_desk(world)
    assert refused(world, data[:-1]).code == errors.REFUSED_DAMAGED
    assert refused(world, data + b"\0").code == errors.REFUSED_DAMAGED
    assert refused(world, data[:40]).code == errors.REFUSED_DAMAGED


def test_the_receiver_cannot_readdress_a_signed_file(world):
    """Sign-then-encrypt names the recipient under the signature: re-encrypting the
    signed content to a third installation (which trusts the sender) is refused."""
    data = from_desk(world)
    inner = SealedBox(world["me"].box_key).decrypt(data[33:])
    third = world["other"]
    forwarded = envelope._PREFIX.pack(
        envelope.MAGIC, 1, bytes.fromhex(third.fingerprint)
    ) + SealedBox(PublicKey(third.public.box)).encrypt(inner)
    with pytest.raises(ExchangeRefused) as caught:
        open_sealed(forwarded, receiver=third, addressed_to="office")
    assert caught.value.code == errors.REFUSED_DAMAGED


def test_signed_by_an_unknown_key_is_refused(world):
    data = from_desk(world, sender=world["stranger"])
    exc = refused(world, data)
    assert exc.code == errors.REFUSED_UNKNOWN_KEY
    assert world["stranger"].fingerprint[:4] in str(exc)
    assert "does not trust" in str(exc)


def test_a_stranger_claiming_a_trusted_senders_fingerprint_is_refused(world):
    """The header names the desk, but the signature is the stranger's."""
    impostor = SimpleNamespace(
        fingerprint=world["desk"].fingerprint, signing_key=world["stranger"].signing_key
    )
    exc = refused(world, from_desk(world, sender=impostor))
    assert exc.code == errors.REFUSED_DAMAGED


def test_signed_by_a_revoked_key_is_refused(world):
    data = from_desk(world)
    trust.revoke_key(None, world["desk"].fingerprint)
    exc = refused(world, data)
    assert exc.code == errors.REFUSED_REVOKED_KEY
    assert "revoked" in str(exc)


def test_a_key_revoked_between_open_and_accept_is_refused_by_accept(world):
    opened = open_here(world, from_desk(world))
    trust.revoke_key(None, world["desk"].fingerprint)
    with pytest.raises(ExchangeRefused) as caught:
        trust.accept(opened, lambda o: pytest.fail("applied a file from a revoked key"))
    assert caught.value.code == errors.REFUSED_REVOKED_KEY


def test_addressed_to_another_installation_is_refused(world):
    data = from_desk(world, recipient=world["other"].public)
    exc = refused(world, data)
    assert exc.code == errors.REFUSED_OTHER_INSTALLATION
    assert "another installation" in str(exc)


def test_addressed_to_another_person_is_refused(world):
    data = from_desk(world, addressed_to="petro@example.org")
    exc = refused(world, data, addressed_to="olena@example.org")
    assert exc.code == errors.REFUSED_OTHER_PERSON
    assert "petro@example.org" in str(exc) and "olena@example.org" in str(exc)
    # the address compares without case or surrounding spaces
    assert open_here(world, data, addressed_to=" Petro@Example.org ").sequence == 1


def test_an_unexpected_kind_is_refused(world):
    exc = refused(world, from_desk(world, kind="office-to-desk"), kind="desk-to-office")
    assert exc.code == errors.REFUSED_WRONG_KIND


def test_an_imported_file_is_refused_the_second_time(world):
    data = from_desk(world)
    trust.accept(open_here(world, data), lambda o: None)
    exc = refused(world, data)
    assert exc.code == errors.REFUSED_ALREADY_IMPORTED
    assert str(exc).startswith("File 1 from the desk of olena@example.org was already imported")


def test_accept_refuses_a_replay_opened_before_the_first_import_committed(world):
    """Two imports of one file opened side by side: the second accept is refused."""
    data = from_desk(world)
    first, second = open_here(world, data), open_here(world, data)
    trust.accept(first, lambda o: None)
    with pytest.raises(ExchangeRefused) as caught:
        trust.accept(second, lambda o: pytest.fail("applied twice"))
    assert caught.value.code == errors.REFUSED_ALREADY_IMPORTED


def test_a_gap_is_refused_naming_the_missing_files(world, tmp_path):
    exc = refused(world, from_desk(world, 4))
    assert exc.code == errors.REFUSED_OUT_OF_ORDER
    assert str(exc).startswith(
        "Files 1–3 from the desk of olena@example.org have not been imported yet."
    )
    # from the office, with one file missing
    office = installation_keys(tmp_path / "the-office")
    trust.trust_key(None, office.public, fingerprint=office.fingerprint, role="office")
    data = seal(
        PAYLOAD,
        kind="office-to-desk",
        sender=office,
        recipient=world["me"].public,
        addressed_to="olena@example.org",
        sequence=2,
    )
    with pytest.raises(ExchangeRefused) as caught:
        open_here(world, data, addressed_to="olena@example.org")
    assert str(caught.value).startswith("File 1 from the office has not been imported yet.")


def test_accept_also_refuses_a_gap(world):
    opened = open_here(world, from_desk(world, 1))
    late = envelope.Opened(**{**opened.__dict__, "sequence": 3})
    with pytest.raises(ExchangeRefused) as caught:
        trust.accept(late, lambda o: pytest.fail("applied out of order"))
    assert caught.value.code == errors.REFUSED_OUT_OF_ORDER


def test_a_failed_import_leaves_the_file_not_imported(world):
    data = from_desk(world)
    events = AuditEvent.select().count()

    def crash(_opened):
        TrustedKey.update(label="written by the import").execute()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        trust.accept(open_here(world, data), crash)
    peer = TrustedKey.get_by_id(world["peer"].id)
    assert (peer.last_in, peer.label, AuditEvent.select().count()) == (0, "", events)
    assert trust.accept(open_here(world, data), lambda o: "ok") == "ok"


def test_a_file_too_large_is_refused_before_reading(world, tmp_path):
    big = tmp_path / "big.tmx"
    with big.open("wb") as fh:
        fh.truncate(envelope.MAX_FILE_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(ExchangeRefused) as caught:
        envelope.read_file(big)
    assert caught.value.code == errors.REFUSED_TOO_LARGE
    data = from_desk(world)
    assert refused(world, data, max_file_bytes=len(data) - 1).code == errors.REFUSED_TOO_LARGE
    small = tmp_path / "small.tmx"
    small.write_bytes(data)
    assert envelope.read_file(small) == data


def test_a_payload_too_large_once_unpacked_is_refused(world):
    data = from_desk(world, payload=b"\0" * 2_000_000)  # compresses to a few KB
    assert len(data) < 10_000
    exc = refused(world, data, max_payload_bytes=1_000_000)
    assert exc.code == errors.REFUSED_TOO_LARGE


def test_decompression_stops_at_the_declared_size():
    """A signed header that lies about the size cannot make the reader inflate more."""
    body = zlib.compress(b"\0" * 50_000_000)
    header = {"compression": "zlib", "body_size": len(body), "payload_size": 1000}
    tracemalloc.start()
    try:
        with pytest.raises(ExchangeRefused) as caught:
            envelope._decompress(body, header, envelope.MAX_PAYLOAD_BYTES)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == errors.REFUSED_DAMAGED
    assert peak < 5_000_000, f"inflated {peak} bytes for a 1,000-byte payload"


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.7\n...", b"PK\x03\x04" + b"\0" * 100, b"TMDESK-EXCHANGE", "привіт".encode()],
    ids=["empty", "pdf", "zip", "short-magic", "text"],
)
def test_not_a_tmdesk_file_is_refused(world, data):
    exc = refused(world, data)
    assert exc.code == errors.REFUSED_NOT_EXCHANGE_FILE
    assert "not a tmdesk exchange file" in str(exc)


def test_a_file_from_a_newer_format_is_refused(world):
    data = bytearray(from_desk(world))
    data[16] = envelope.FORMAT_VERSION + 1
    exc = refused(world, bytes(data))
    assert exc.code == errors.REFUSED_NEWER_FORMAT
    assert "newer tmdesk" in str(exc)


def test_reserve_sequence_counts_per_peer_and_refuses_a_revoked_key(world):
    peer = world["peer"]
    assert [trust.reserve_sequence(peer) for _ in range(3)] == [1, 2, 3]
    trust.revoke_key(None, peer.fingerprint)
    with pytest.raises(trust.PermissionDenied):
        trust.reserve_sequence(peer)


def test_seal_refuses_bad_arguments(world):
    with pytest.raises(ValueError):
        from_desk(world, sequence=0)
    with pytest.raises(ValueError):
        from_desk(world, kind="Desk To Office!")
    with pytest.raises(ValueError):
        from_desk(world, addressed_to=" ")


def test_two_imports_of_one_file_at_once_apply_it_once(world):
    """Two processes (here: threads with their own connections) import the same file."""
    data = from_desk(world)
    opened = [open_here(world, data) for _ in range(2)]
    database.close()
    results: list[str] = []
    started = threading.Barrier(2)

    def run(o):
        database.connect(reuse_if_open=True)
        try:
            started.wait()
            results.append(trust.accept(o, lambda o: time.sleep(0.3) or "applied"))
        except ExchangeRefused as exc:
            results.append(exc.code)
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(o,)) for o in opened]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    database.connect(reuse_if_open=True)
    assert sorted(results) == [errors.REFUSED_ALREADY_IMPORTED, "applied"]
    assert TrustedKey.get_by_id(world["peer"].id).last_in == 1


def _crafted(world, header: bytes, *, declared_len: int | None = None) -> bytes:
    """What anyone holding this installation's public key can make: a sealed box
    to it, with any content (the signature is what they cannot make)."""
    hlen = len(header) if declared_len is None else declared_len
    inner = struct.pack(">I", hlen) + header + b"body" + b"\0" * 64
    prefix = envelope._PREFIX.pack(envelope.MAGIC, 1, bytes.fromhex(world["me"].fingerprint))
    return prefix + SealedBox(PublicKey(world["me"].public.box)).encrypt(inner)


@pytest.mark.parametrize(
    "header",
    [
        b"[" * 15_000 + b"]" * 15_000,
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"format": 1}',
        json.dumps({"format": True, "kind": "k", "sequence": "1"}).encode(),
    ],
    ids=["deeply-nested", "not-json", "not-utf8", "not-an-object", "fields-missing", "bad-types"],
)
def test_a_hostile_header_is_refused_as_damaged(world, header):
    assert refused(world, _crafted(world, header)).code == errors.REFUSED_DAMAGED


def test_a_header_length_past_the_end_is_refused(world):
    crafted = _crafted(world, b"{}", declared_len=10_000_000)
    assert refused(world, crafted).code == errors.REFUSED_DAMAGED
