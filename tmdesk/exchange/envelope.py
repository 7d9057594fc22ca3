"""Exchange files: signed by the sender, encrypted to the receiver, refused unless all is right.

API (for the sync code; two minutes)
------------------------------------

Writing a file for a peer (office → a person's desk, or desk → office)::

    from tmdesk.exchange import envelope, keys, trust

    me = keys.installation_keys(data_dir)            # made on first use
    peer = trust.office_key()                        # or trust.find_key(fp), a TrustedKey row
    with database.atomic():                          # your export's transaction
        seq = trust.reserve_sequence(peer)           # 1, 2, 3… per peer
        data = envelope.seal(
            payload,                                 # bytes: your JSON (≤ MAX_PAYLOAD_BYTES)
            kind="desk-to-office",                   # your label; the reader may insist on it
            sender=me,
            recipient=trust.public_keys_of(peer),
            addressed_to="office",                   # or the person's e-mail on their desk
            sequence=seq,
        )
        ...mark your actions exported...
    Path(out).write_bytes(data)

Reading one::

    data = envelope.read_file(path)                  # refuses a file over MAX_FILE_BYTES
    opened = envelope.open_sealed(
        data, receiver=me, addressed_to="office",    # who this installation is for
        kind="desk-to-office",                       # optional: refuse any other kind
    )                                                # raises ExchangeRefused (nothing changed)
    result = trust.accept(opened, apply=lambda o: import_payload(o.payload), user=who)

:class:`Opened` has ``payload`` (bytes, decompressed), ``kind``,
``sender_fingerprint``, ``sender_id`` (the TrustedKey row id), ``sender_role``
(``office``/``desk``), ``sender_email`` (the desk's person), ``addressed_to``,
``sequence``, ``created`` (aware UTC datetime) and ``file_sha256``.

:func:`open_sealed` checks everything that can be checked without writing;
:func:`~tmdesk.exchange.trust.accept` re-checks the order inside its
transaction and records the import together with whatever ``apply`` writes,
so a crash or an exception in ``apply`` leaves the file not imported.
Every refusal is an :class:`~tmdesk.exchange.errors.ExchangeRefused` with a
stable ``code`` (``REFUSED_*`` in :mod:`tmdesk.exchange.errors`) and a
translatable message that says what to do: a page shows it with
``flash_error(exc)``, the command line with ``str(exc)`` (exit 1).

Linking online: send ``me.public.text`` (one line) to the other side and pin
what comes back, in the linking transaction: on the desk
``trust.pin_linked_key(user, office_key_text, role=trust.ROLE_OFFICE)``; on
the office ``trust.pin_linked_key(user, desk_key_text, role=trust.ROLE_DESK,
person_email=user.email)``. Pinning the same key again is a no-op.

Notes for the caller:

- On the office, a desk's file speaks for ``opened.sender_email`` only (the
  person the key was pinned for): apply its actions as that person, and
  refuse one whose ``sender_role`` is not ``"desk"``.
- A lost file: seal the same content again with the *same* sequence number;
  the receiver waits for exactly that number (the gap message names it).
- ``read_file`` lets ``OSError`` (no such file, no permission) through.

The format (version 1)
----------------------

::

    "TMDESK-EXCHANGE\\0"   16 bytes, what makes it a tmdesk exchange file
    version                 1 byte (a newer one is refused as "newer tmdesk")
    recipient fingerprint   16 bytes (so "written for another installation" can be said)
    sealed                  crypto_box_seal(recipient's X25519 key, inner)

    inner = header length (4 bytes, big-endian) ‖ header (JSON) ‖ body ‖ signature (64)
    body  = zlib(payload)
    signature = Ed25519ph by the sender over
                "tmdesk exchange v1\\0" ‖ the 33 bytes before "sealed" ‖ header length ‖ header ‖ body

The header (JSON) holds the format, kind, sender and recipient fingerprints,
``addressed_to``, ``sequence``, ``created`` and the body and payload sizes.

Why this composition is sound: it is sign-then-encrypt, using two libsodium
primitives as documented. The signature (libsodium's multi-part Ed25519ph,
``crypto_sign_init/update/final``) covers every byte of the file except the
ciphertext wrapping itself, including the recipient's fingerprint, the
person it is addressed to and the sequence number, so a receiver cannot
re-encrypt a signed file to a third party ("surreptitious forwarding"), and
nobody can re-address, renumber or alter it without the sender's secret
key. The sealed box (``crypto_box_seal``: an ephemeral X25519 key,
XSalsa20-Poly1305) gives confidentiality and integrity of everything after
the 33-byte prefix; the prefix is covered by the signature and compared with
the signed header. Only the recipient can decrypt, only the sender can sign.
Compression happens before encryption and is undone with a hard bound, so a
small file cannot expand into gigabytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import struct
import zlib
from pathlib import Path

from nacl import bindings
from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox

from tmdesk import __version__
from tmdesk.core.i18n import N_
from tmdesk.exchange import trust
from tmdesk.exchange.errors import (
    REFUSED_DAMAGED,
    REFUSED_NEWER_FORMAT,
    REFUSED_NOT_EXCHANGE_FILE,
    REFUSED_OTHER_INSTALLATION,
    REFUSED_OTHER_PERSON,
    REFUSED_TOO_LARGE,
    REFUSED_WRONG_KIND,
    ExchangeRefused,
)
from tmdesk.exchange.keys import InstallationKeys, PublicKeys, show_fingerprint
from tmdesk.exchange.opened import Opened

__all__ = ["ExchangeRefused", "Opened", "open_sealed", "read_file", "seal"]

MAGIC = b"TMDESK-EXCHANGE\x00"
FORMAT_VERSION = 1
_PREFIX = struct.Struct(">16sB16s")  # magic, version, recipient fingerprint
_HEADER_LEN = struct.Struct(">I")
_SIGNATURE_BYTES = 64
_SIGN_DOMAIN = b"tmdesk exchange v1\x00"
#: The largest payload once decompressed (the zip-bomb bound).
MAX_PAYLOAD_BYTES = 256 * 1024 * 1024
#: The largest file :func:`open_sealed` reads: room for any payload :func:`seal`
#: accepts, even one that does not compress (zlib adds at most ~0.03 %).
MAX_FILE_BYTES = MAX_PAYLOAD_BYTES + 1024 * 1024
_MAX_HEADER_BYTES = 16 * 1024
_KIND_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


_CHUNK = 1 << 20


def _signed_digest_state(
    prefix: bytes, header_len: bytes, header: bytes, body: bytes | memoryview
) -> bindings.crypto_sign_ed25519ph_state:
    """libsodium's multi-part signature state over everything the signature covers.

    The body is fed in 1 MiB pieces of a memoryview, so a large body is
    never copied whole.
    """
    state = bindings.crypto_sign_ed25519ph_state()
    for part in (_SIGN_DOMAIN, prefix, header_len, header):
        bindings.crypto_sign_ed25519ph_update(state, part)
    view = memoryview(body)
    for start in range(0, len(view), _CHUNK):
        bindings.crypto_sign_ed25519ph_update(state, bytes(view[start : start + _CHUNK]))
    return state


def _addressee(value: str) -> str:
    return (value or "").strip().lower()


def seal(
    payload: bytes,
    *,
    kind: str,
    sender: InstallationKeys,
    recipient: PublicKeys,
    addressed_to: str,
    sequence: int,
    created: dt.datetime | None = None,
) -> bytes:
    """The bytes of an exchange file carrying ``payload`` from ``sender`` to ``recipient``.

    ``addressed_to`` is ``"office"`` or the e-mail of the person whose desk
    it is for; ``sequence`` comes from :func:`trust.reserve_sequence`.
    Raises ValueError for a payload over :data:`MAX_PAYLOAD_BYTES`, a bad
    kind or sequence (programming errors, not users').
    """
    if not isinstance(payload, bytes):
        raise TypeError("payload must be bytes")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD_BYTES}")
    if not _KIND_RE.match(kind or ""):
        raise ValueError(f"kind {kind!r}: lowercase letters, digits, '.', '_', '-'")
    if not isinstance(sequence, int) or sequence < 1:
        raise ValueError("sequence must be a positive integer")
    addressee = _addressee(addressed_to)
    if not addressee:
        raise ValueError("addressed_to is required")
    created = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    body = zlib.compress(payload, 6)
    header = json.dumps(
        {
            "format": FORMAT_VERSION,
            "kind": kind,
            "sender": sender.fingerprint,
            "recipient": recipient.fingerprint,
            "addressed_to": addressee,
            "sequence": sequence,
            "created": created.isoformat(),
            "compression": "zlib",
            "body_size": len(body),
            "payload_size": len(payload),
            "tmdesk": __version__,
        },
        sort_keys=True,
    ).encode("utf-8")
    prefix = _PREFIX.pack(MAGIC, FORMAT_VERSION, bytes.fromhex(recipient.fingerprint))
    header_len = _HEADER_LEN.pack(len(header))
    state = _signed_digest_state(prefix, header_len, header, body)
    _public, secret = bindings.crypto_sign_seed_keypair(bytes(sender.signing_key))
    signature = bindings.crypto_sign_ed25519ph_final_create(state, secret)
    inner = b"".join((header_len, header, body, signature))
    del body
    sealed = SealedBox(PublicKey(recipient.box)).encrypt(inner)
    del inner
    if len(prefix) + len(sealed) > MAX_FILE_BYTES:  # pragma: no cover - see MAX_FILE_BYTES
        raise ValueError("the sealed file would be over MAX_FILE_BYTES")
    return prefix + sealed


def read_file(path: str | Path, *, max_file_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the file at ``path``, refusing one over ``max_file_bytes`` before reading it."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_file_bytes:
        raise _too_large(size, max_file_bytes)
    with path.open("rb") as fh:
        data = fh.read(max_file_bytes + 1)
    if len(data) > max_file_bytes:  # it grew while we looked
        raise _too_large(len(data), max_file_bytes)
    return data


def _too_large(size: int, limit: int) -> ExchangeRefused:
    return ExchangeRefused(
        REFUSED_TOO_LARGE,
        N_(
            "This file is too large to be an exchange file (%(size)d MB; at most %(limit)d MB). "
            "Ask the sender to export in smaller parts."
        ),
        size=max(1, round(size / 1_000_000)),
        limit=round(limit / 1_000_000),
    )


def _damaged() -> ExchangeRefused:
    return ExchangeRefused(
        REFUSED_DAMAGED,
        N_(
            "This file was changed or damaged after it was written (its signature or "
            "encryption does not match). Nothing was imported. Ask the sender for a new copy."
        ),
    )


def _parse_header(raw: bytes) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[…"
        raise _damaged() from None
    expected = {
        "format": int,
        "kind": str,
        "sender": str,
        "recipient": str,
        "addressed_to": str,
        "sequence": int,
        "created": str,
        "compression": str,
        "body_size": int,
        "payload_size": int,
    }
    if not isinstance(header, dict) or any(
        not isinstance(header.get(k), t) or isinstance(header.get(k), bool)
        for k, t in expected.items()
    ):
        raise _damaged()
    return header


def open_sealed(
    data: bytes,
    *,
    receiver: InstallationKeys,
    addressed_to: str,
    kind: str | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
) -> Opened:
    """Check and open an exchange file for this installation; read-only (see :func:`trust.accept`).

    ``addressed_to`` is who this installation is for (``"office"``, or the
    desk's person's e-mail); ``kind``, when given, is the only kind
    accepted. Raises :class:`ExchangeRefused` for every reason in
    docs/exchange.md, checking the cheap things first.
    """
    if len(data) > max_file_bytes:
        raise _too_large(len(data), max_file_bytes)
    if len(data) < _PREFIX.size or not data.startswith(MAGIC):
        raise ExchangeRefused(
            REFUSED_NOT_EXCHANGE_FILE,
            N_(
                "This is not a tmdesk exchange file. Choose the file that tmdesk wrote "
                "(tmdesk exchange export)."
            ),
        )
    prefix = bytes(data[: _PREFIX.size])
    _magic, version, recipient_raw = _PREFIX.unpack(prefix)
    if version > FORMAT_VERSION:
        raise ExchangeRefused(
            REFUSED_NEWER_FORMAT,
            N_(
                "This file was written by a newer tmdesk (exchange format %(version)d; this "
                "one reads up to %(known)d). Install the newer tmdesk, then import it again."
            ),
            version=version,
            known=FORMAT_VERSION,
        )
    if version < 1:
        raise _damaged()
    mine = receiver.fingerprint
    if recipient_raw.hex() != mine:
        raise ExchangeRefused(
            REFUSED_OTHER_INSTALLATION,
            N_(
                "This file was written for another installation (key %(theirs)s); this one's "
                "key is %(mine)s. It was sent to the wrong place: ask the sender to export "
                "it again for this installation."
            ),
            theirs=show_fingerprint(recipient_raw.hex()),
            mine=show_fingerprint(mine),
        )
    try:
        inner = SealedBox(receiver.box_key).decrypt(bytes(data[_PREFIX.size :]))
    except CryptoError:
        raise _damaged() from None
    if len(inner) < _HEADER_LEN.size + _SIGNATURE_BYTES:
        raise _damaged()
    (hlen,) = _HEADER_LEN.unpack_from(inner)
    body_start = _HEADER_LEN.size + hlen
    if hlen > _MAX_HEADER_BYTES or body_start > len(inner) - _SIGNATURE_BYTES:
        raise _damaged()
    header_raw = inner[_HEADER_LEN.size : body_start]
    header = _parse_header(header_raw)
    body = memoryview(inner)[body_start:-_SIGNATURE_BYTES]  # no copy of a large body
    signature = inner[-_SIGNATURE_BYTES:]
    try:
        sender_fp = bytes.fromhex(header["sender"]).hex()
    except ValueError:
        raise _damaged() from None
    peer = trust.check_sender(sender_fp)  # unknown or revoked: refused, and said so
    state = _signed_digest_state(prefix, _HEADER_LEN.pack(hlen), header_raw, body)
    try:
        bindings.crypto_sign_ed25519ph_final_verify(state, signature, bytes.fromhex(peer.sign_key))
    except CryptoError:
        raise _damaged() from None
    # Signed from here on: the header is the sender's. The prefix must agree with it.
    if header["format"] != version or header["recipient"] != mine:
        raise _damaged()
    if header["addressed_to"] != _addressee(addressed_to):
        raise ExchangeRefused(
            REFUSED_OTHER_PERSON,
            N_(
                "This file is addressed to %(theirs)s, not to %(mine)s. It was sent to the "
                "wrong person: ask the sender to export it again for the right one."
            ),
            theirs=header["addressed_to"],
            mine=_addressee(addressed_to),
        )
    if kind is not None and header["kind"] != kind:
        raise ExchangeRefused(
            REFUSED_WRONG_KIND,
            N_("This exchange file holds %(theirs)s, but %(mine)s was expected."),
            theirs=header["kind"],
            mine=kind,
        )
    trust.check_sequence(peer, header["sequence"])
    payload = _decompress(body, header, max_payload_bytes)
    try:
        created = dt.datetime.fromisoformat(header["created"])
    except ValueError:
        raise _damaged() from None
    return Opened(
        payload=payload,
        kind=header["kind"],
        sender_fingerprint=peer.fingerprint,
        sender_id=peer.id,
        sender_role=peer.role,
        sender_email=peer.person_email,
        addressed_to=header["addressed_to"],
        sequence=header["sequence"],
        created=created,
        file_sha256=hashlib.sha256(data).hexdigest(),
    )


def _decompress(body: bytes | memoryview, header: dict, limit: int) -> bytes:
    """Inflate ``body``, never past ``limit`` bytes (nor past what the header declares)."""
    declared = header["payload_size"]
    if header["compression"] != "zlib" or header["body_size"] != len(body):
        raise _damaged()
    if declared > limit:
        raise ExchangeRefused(
            REFUSED_TOO_LARGE,
            N_(
                "This file's content is too large (%(size)d MB once unpacked; at most "
                "%(limit)d MB). Ask the sender to export in smaller parts."
            ),
            size=max(1, round(declared / 1_000_000)),
            limit=round(limit / 1_000_000),
        )
    inflater = zlib.decompressobj()
    try:
        payload = inflater.decompress(body, declared + 1)
    except zlib.error:
        raise _damaged() from None
    if len(payload) != declared or not inflater.eof or inflater.unconsumed_tail:
        raise _damaged()
    return payload
