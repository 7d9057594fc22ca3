"""The keys this installation trusts, and the order files from each must arrive in.

A key is pinned in one of two ways:

- **by hand** (:func:`trust_key`, ``tmdesk keys trust``, Administration →
  Keys): an administrator pastes the other installation's public key and the
  fingerprint its administrator read out over another channel (a phone call);
  the key is pinned only if they match, as ``tmdesk plugins approve --sha256``
  pins a plugin file;
- **online** (:func:`pin_linked_key`): the sync code pins the office's key on
  the desk, and the desk's key on the office, when a person links a desk over
  the authenticated HTTPS connection.

Each pinned key says what it belongs to: the office, or the desk of one
person (by e-mail). Revoking keeps the row, so later files from that key are
refused as revoked. Every pin and revocation is audited.

Sequence numbers: files from one installation to another are numbered 1, 2, 3…
per pair. :func:`reserve_sequence` gives the sender the next number (in the
sender's own transaction); :func:`accept` records on the receiver that a file
was imported, in the same transaction as the import itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tmdesk.core import audit, validation
from tmdesk.core.db import database
from tmdesk.core.errors import NotFound, PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import TrustedKey, User, utcnow
from tmdesk.core.permissions import can_administer
from tmdesk.exchange.errors import (
    REFUSED_ALREADY_IMPORTED,
    REFUSED_OUT_OF_ORDER,
    REFUSED_REVOKED_KEY,
    REFUSED_UNKNOWN_KEY,
    ExchangeRefused,
)
from tmdesk.exchange.keys import PublicKeys, normalise_fingerprint, show_fingerprint
from tmdesk.exchange.opened import Opened

T = TypeVar("T")

ROLE_OFFICE = "office"
ROLE_DESK = "desk"
ROLES = (ROLE_OFFICE, ROLE_DESK)


def public_keys_of(peer: TrustedKey) -> PublicKeys:
    """The pinned public keys of ``peer``, to :func:`~tmdesk.exchange.envelope.seal` a file for it."""
    return PublicKeys(sign=bytes.fromhex(peer.sign_key), box=bytes.fromhex(peer.box_key))


def trusted_keys() -> list[TrustedKey]:
    """Every pinned key, revoked ones too, the newest first."""
    return list(TrustedKey.select().order_by(TrustedKey.pinned_at.desc(), TrustedKey.id.desc()))


def find_key(fingerprint: str) -> TrustedKey | None:
    """The pinned key with this fingerprint (any spacing or case), revoked or not."""
    try:
        fp = normalise_fingerprint(fingerprint)
    except ValidationError:
        return None
    return TrustedKey.get_or_none(TrustedKey.fingerprint == fp)


def office_key() -> TrustedKey | None:
    """The office's key on a desk (the newest one not revoked), or None when there is none."""
    return (
        TrustedKey.select()
        .where(TrustedKey.role == ROLE_OFFICE, TrustedKey.revoked_at.is_null())
        .order_by(TrustedKey.pinned_at.desc(), TrustedKey.id.desc())
        .first()
    )


def _check_admin(user: User | None) -> None:
    """Administrators decide; ``None`` is the machine's operator at the command line."""
    if user is not None and not can_administer(user):
        raise PermissionDenied(N_("Only administrators may trust or revoke keys."))


def _describe(peer: TrustedKey) -> dict:
    data = audit.snapshot(peer)
    data.pop("last_in", None)
    data.pop("last_out", None)
    return data


def _pin(
    user: User | None,
    public: PublicKeys | str,
    *,
    role: str,
    person_email: str,
    label: str,
    via: str,
) -> TrustedKey:
    keys = public if isinstance(public, PublicKeys) else PublicKeys.from_text(public)
    errors = validation.Errors()
    if role not in ROLES:
        errors["role"] = N_("Say whose key this is: the office's, or a person's desk.")
    email = ""
    if role == ROLE_DESK:
        email = validation.email(errors, {"email": person_email}, "email")
    label = validation.text(errors, {"label": label}, "label", max_length=200)
    errors.raise_if_any()
    fp = keys.fingerprint
    with database.atomic():
        old = TrustedKey.get_or_none(TrustedKey.fingerprint == fp)
        if old is not None:
            if old.revoked_at is not None:
                raise ValidationError(
                    {
                        "public_key": N_(
                            "This key was revoked. A revoked key is never trusted again: "
                            "the other installation must be set up with a new key."
                        )
                    }
                )
            if (old.role, old.person_email) != (role, email):
                raise ValidationError(
                    {
                        "public_key": N_(
                            "This key is already trusted for something else. "
                            "Revoke it first if that was a mistake."
                        )
                    }
                )
            return old  # pinning the same key again (a second link) changes nothing
        peer = TrustedKey.create(
            fingerprint=fp,
            sign_key=keys.sign.hex(),
            box_key=keys.box.hex(),
            role=role,
            person_email=email,
            label=label,
            pinned_by=user,
            pinned_by_email=user.email if user is not None else "",
            pinned_via=via[:200],
        )
        audit.record(user, "key.trust", ("trusted_key", fp), None, _describe(peer))
    return peer


def trust_key(
    user: User | None,
    public: PublicKeys | str,
    *,
    fingerprint: str,
    role: str,
    person_email: str = "",
    label: str = "",
    via: str = "",
) -> TrustedKey:
    """Pin ``public`` by hand, only if its fingerprint is ``fingerprint`` (read out separately).

    ``user`` is the administrator (None: the operator at the command line);
    ``role`` is :data:`ROLE_OFFICE` or :data:`ROLE_DESK` (then ``person_email``
    says whose desk). Raises ValidationError when the fingerprint differs.
    """
    _check_admin(user)
    problems: dict[str, str] = {}
    keys = expected = None
    try:
        keys = public if isinstance(public, PublicKeys) else PublicKeys.from_text(public)
    except ValidationError as exc:
        problems.update(exc.fields)
    try:
        expected = normalise_fingerprint(fingerprint)
    except ValidationError as exc:
        problems.update(exc.fields)
    if problems or keys is None:
        raise ValidationError(problems)  # both problems in one answer
    if keys.fingerprint != expected:
        raise ValidationError(
            {
                "fingerprint": N_(
                    "This key's fingerprint is not the one given. Do not trust it: check "
                    "with the other installation's administrator which key is right."
                )
            }
        )
    return _pin(user, keys, role=role, person_email=person_email, label=label, via=via)


def pin_linked_key(
    user: User | None,
    public: PublicKeys | str,
    *,
    role: str,
    person_email: str = "",
    label: str = "",
    via: str = "online link",
) -> TrustedKey:
    """Pin a key received while linking a desk online (no fingerprint to compare).

    For the sync code only: call it once the other side is authenticated
    (the desk: the office's HTTPS answer to the person's login; the office:
    the person's password or token), inside the linking transaction. Pinning
    the same key again returns the existing row; a revoked key is refused.
    """
    return _pin(user, public, role=role, person_email=person_email, label=label, via=via)


def revoke_key(user: User | None, fingerprint: str, via: str = "") -> TrustedKey:
    """Stop trusting a key: files it signed are refused from now on (audited)."""
    _check_admin(user)
    fp = normalise_fingerprint(fingerprint)
    with database.atomic():
        peer = TrustedKey.get_or_none(TrustedKey.fingerprint == fp)
        if peer is None:
            raise NotFound(N_("No trusted key has this fingerprint."))
        if peer.revoked_at is not None:
            return peer
        before = _describe(peer)
        peer.revoked_at = utcnow()
        peer.revoked_by = user
        peer.revoked_by_email = user.email if user is not None else ""
        peer.save()
        after = _describe(peer)
        if via:
            after["via"] = via
        audit.record(user, "key.revoke", ("trusted_key", fp), before, after)
    return peer


def reserve_sequence(peer: TrustedKey) -> int:
    """The next sequence number for a file to ``peer`` (1, 2, 3…), counted as used.

    Call it inside the transaction that marks the file's content as exported,
    so a failed export gives the number back. Refuses a revoked key.
    """
    with database.atomic():
        updated = (
            TrustedKey.update(last_out=TrustedKey.last_out + 1)
            .where(TrustedKey.id == peer.id, TrustedKey.revoked_at.is_null())
            .execute()
        )
        if updated != 1:
            raise PermissionDenied(N_("This key is revoked: nothing may be sent to it."))
        peer.last_out = TrustedKey.get_by_id(peer.id).last_out
    return peer.last_out


def check_sender(fingerprint: str) -> TrustedKey:
    """The pinned, unrevoked key with this fingerprint, or the refusal to give."""
    peer = TrustedKey.get_or_none(TrustedKey.fingerprint == fingerprint)
    if peer is None:
        raise ExchangeRefused(
            REFUSED_UNKNOWN_KEY,
            N_(
                "This file is signed by an installation this one does not trust (key "
                "%(fingerprint)s). If you expect files from it, ask its administrator for its "
                "fingerprint by phone and trust its key first (tmdesk keys trust)."
            ),
            fingerprint=show_fingerprint(fingerprint),
        )
    check_not_revoked(peer)
    return peer


def check_not_revoked(peer: TrustedKey) -> None:
    if peer.revoked_at is not None:
        raise ExchangeRefused(
            REFUSED_REVOKED_KEY,
            N_(
                "This file is signed by a key that was revoked on %(date)s (key "
                "%(fingerprint)s). Nothing from that installation is imported any more."
            ),
            date=peer.revoked_at.strftime("%Y-%m-%d"),
            fingerprint=show_fingerprint(peer.fingerprint),
        )


def check_sequence(peer: TrustedKey, sequence: int) -> None:
    """Refuse a file already imported, or one that leaves a gap (naming the missing files)."""
    office, email = peer.role == ROLE_OFFICE, peer.person_email
    last = peer.last_in
    if sequence <= last:
        if office:
            raise ExchangeRefused(
                REFUSED_ALREADY_IMPORTED,
                N_("File %(number)d from the office was already imported; nothing was changed."),
                number=sequence,
            )
        raise ExchangeRefused(
            REFUSED_ALREADY_IMPORTED,
            N_(
                "File %(number)d from the desk of %(email)s was already imported; "
                "nothing was changed."
            ),
            number=sequence,
            email=email,
        )
    if sequence > last + 1:
        first, final = last + 1, sequence - 1
        if first == final:
            message = (
                N_(
                    "File %(first)d from the office has not been imported yet. "
                    "Import it first, then this one (file %(number)d)."
                )
                if office
                else N_(
                    "File %(first)d from the desk of %(email)s has not been imported yet. "
                    "Import it first, then this one (file %(number)d)."
                )
            )
        else:
            message = (
                N_(
                    "Files %(first)d–%(last)d from the office have not been imported yet. "
                    "Import them first, in order, then this one (file %(number)d)."
                )
                if office
                else N_(
                    "Files %(first)d–%(last)d from the desk of %(email)s have not been "
                    "imported yet. Import them first, in order, then this one (file %(number)d)."
                )
            )
        params: dict[str, int | str] = {"first": first, "last": final, "number": sequence}
        if not office:
            params["email"] = email
        raise ExchangeRefused(REFUSED_OUT_OF_ORDER, message, **params)


def accept(
    opened: Opened,
    apply: Callable[[Opened], T],
    *,
    user: User | None = None,
    via: str = "",
) -> T:
    """Import ``opened`` exactly once and in order: ``apply(opened)`` and the record of
    the import commit together, or not at all.

    In one transaction: claim the file's sequence number (only if it is the
    next one from that sender and the key is still trusted; a concurrent
    import of the same file waits here and is then refused as already
    imported), run ``apply`` (the caller's import: it may raise to roll
    everything back), and write an ``exchange.import`` audit event.
    Returns what ``apply`` returns; raises :class:`ExchangeRefused`.
    """
    with database.atomic():
        claimed = (
            TrustedKey.update(last_in=opened.sequence)
            .where(
                TrustedKey.id == opened.sender_id,
                TrustedKey.last_in == opened.sequence - 1,
                TrustedKey.revoked_at.is_null(),
            )
            .execute()
        )
        if claimed != 1:
            peer = TrustedKey.get_or_none(TrustedKey.id == opened.sender_id)
            if peer is None:
                check_sender(opened.sender_fingerprint)  # raises: unknown
                raise AssertionError("unreachable")  # pragma: no cover
            check_not_revoked(peer)
            check_sequence(peer, opened.sequence)
            raise AssertionError("sequence claim failed without a reason")  # pragma: no cover
        result = apply(opened)
        after = {
            "kind": opened.kind,
            "sequence": opened.sequence,
            "addressed_to": opened.addressed_to,
            "created": opened.created.isoformat(),
            "file_sha256": opened.file_sha256,
            "payload_bytes": len(opened.payload),
        }
        if via:
            after["via"] = via
        audit.record(
            user, "exchange.import", ("trusted_key", opened.sender_fingerprint), None, after
        )
    return result
