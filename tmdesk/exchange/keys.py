"""This installation's key pairs, and public keys as people copy and check them.

Every installation (desk or office) has two libsodium key pairs, made on first
use and kept in ``<data dir>/exchange-key.json``, readable by its owner only:

- an Ed25519 signing key: it signs every exchange file this installation writes;
- an X25519 (Curve25519) encryption key: files for this installation are
  encrypted to it. It is a separate random key, not derived from the signing
  key, as libsodium advises when both are needed.

The public half travels as one line of text, ``tmdesk-key1:<base64url>``
(the 32-byte signing key followed by the 32-byte encryption key), and is
checked by its *fingerprint*: the first 128 bits of a SHA-256 over both
public keys, shown as eight groups of four hex digits
(``3f2a 9c01 …``), short enough to read out over the phone.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import CryptoError as NaclError
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from tmdesk.core.errors import ValidationError
from tmdesk.core.i18n import N_

log = logging.getLogger(__name__)

KEY_FILE_NAME = "exchange-key.json"
KEY_TEXT_PREFIX = "tmdesk-key1:"
_FINGERPRINT_DOMAIN = b"tmdesk key fingerprint v1\x00"
#: Fingerprints are 32 hex digits (128 bits of SHA-256).
FINGERPRINT_HEX = 32
_FP_SEPARATORS = re.compile(r"[\s:\-]")
_FP_RE = re.compile(rf"^[0-9a-f]{{{FINGERPRINT_HEX}}}$")


def normalise_fingerprint(text: str) -> str:
    """``"3F2A 9C01 …"`` or ``"3f2a:9c01:…"`` → 32 lowercase hex digits; refuses anything else."""
    value = _FP_SEPARATORS.sub("", text or "").lower()
    if not _FP_RE.match(value):
        raise ValidationError(
            {
                "fingerprint": N_(
                    "A key fingerprint is 32 hexadecimal digits, e.g. "
                    "3f2a 9c01 77be 04d1 a5c3 e2f0 19d8 6b4e."
                )
            }
        )
    return value


def show_fingerprint(fingerprint: str) -> str:
    """32 hex digits in groups of four, the form people read out."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


@dataclass(frozen=True)
class PublicKeys:
    """An installation's two public keys: ``sign`` (Ed25519) and ``box`` (X25519), 32 bytes each."""

    sign: bytes
    box: bytes

    @property
    def fingerprint(self) -> str:
        """32 lowercase hex digits (see the module docstring)."""
        digest = hashlib.sha256(_FINGERPRINT_DOMAIN + self.sign + self.box).hexdigest()
        return digest[:FINGERPRINT_HEX]

    @property
    def text(self) -> str:
        """The copyable one-line form, ``tmdesk-key1:…``."""
        raw = base64.urlsafe_b64encode(self.sign + self.box).decode("ascii").rstrip("=")
        return KEY_TEXT_PREFIX + raw

    @classmethod
    def from_text(cls, text: str) -> PublicKeys:
        """Parse the one-line form, or a public-key file's content (the line that holds it)."""
        for line in (text or "").splitlines() or [""]:
            line = line.strip()
            if line.startswith(KEY_TEXT_PREFIX):
                raw_text = line[len(KEY_TEXT_PREFIX) :]
                try:
                    raw = base64.urlsafe_b64decode(raw_text + "=" * (-len(raw_text) % 4))
                except ValueError:
                    break
                if len(raw) == 64:
                    return cls(sign=raw[:32], box=raw[32:])
                break
        raise ValidationError(
            {
                "public_key": N_(
                    "This is not a tmdesk public key. It is one line that starts with "
                    "tmdesk-key1: (tmdesk keys show prints it)."
                )
            }
        )

    def file_text(self, label: str = "") -> str:
        """The content of a public-key file (``tmdesk keys show --out FILE``)."""
        lines = ["# tmdesk installation public key"]
        if label:
            lines.append(f"# installation: {label}")
        lines += [f"# fingerprint: {show_fingerprint(self.fingerprint)}", self.text, ""]
        return "\n".join(lines)


@dataclass(frozen=True)
class InstallationKeys:
    """This installation's secret keys (never leave the data folder)."""

    signing_key: SigningKey
    box_key: PrivateKey

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(
            sign=bytes(self.signing_key.verify_key), box=bytes(self.box_key.public_key)
        )

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint


class KeyFileError(RuntimeError):
    """This installation's key file cannot be read."""


def key_file(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE_NAME


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _write_new(path: Path) -> None:
    """Write a new key file at ``path`` unless one appears meanwhile (never replaces one).

    The file is created owner-only (0600). On Windows the mode only sets the
    read-only flag; there the data folder is inside the user's profile, which
    only that user (and administrators) can read.
    """
    content = json.dumps(
        {
            "format": 1,
            "signing_seed": _b64(bytes(SigningKey.generate())),
            "box_secret": _b64(bytes(PrivateKey.generate())),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
        indent=1,
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if another process made one first
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def installation_keys(data_dir: Path) -> InstallationKeys:
    """This installation's keys, made on first use (the data folder is created if needed)."""
    from tmdesk.paths import make_private_dir

    path = key_file(make_private_dir(Path(data_dir)))
    if not path.exists():
        log.info("making this installation's exchange keys in %s", path)
        _write_new(path)
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("%s was readable by others (mode %o); made owner-only", path, mode)
            path.chmod(0o600)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return InstallationKeys(
            signing_key=SigningKey(base64.b64decode(data["signing_seed"], validate=True)),
            box_key=PrivateKey(base64.b64decode(data["box_secret"], validate=True)),
        )
    except (ValueError, KeyError, TypeError, NaclError) as exc:
        # Never replaced silently: a new key would have to be trusted again everywhere.
        raise KeyFileError(
            f"The exchange key file {path} is damaged ({exc.__class__.__name__}). Restore it "
            "from a backup of the data folder; if there is none, move it away and start "
            "tmdesk to make a new key, which every other installation must then trust again."
        ) from None
