"""uids: UUIDv7 text, time-ordered, unique, and what every travelling record carries."""

from __future__ import annotations

import uuid

from tmdesk.core.ids import is_uid, new_uid


def test_a_uid_is_a_version_7_uuid_with_the_rfc_variant():
    u = uuid.UUID(new_uid())
    assert u.version == 7 and u.variant == uuid.RFC_4122


def test_uids_carry_their_creation_time_and_sort_by_it():
    early, late = new_uid(now_ms=1_700_000_000_000), new_uid(now_ms=1_700_000_000_001)
    assert uuid.UUID(early).int >> 80 == 1_700_000_000_000
    assert early < late


def test_uids_do_not_repeat_and_do_not_count():
    many = [new_uid(now_ms=1) for _ in range(2000)]
    assert len(set(many)) == 2000
    assert sorted(many) != many  # random within one millisecond, not a counter


def test_is_uid_accepts_only_the_text_form():
    assert is_uid(new_uid())
    assert not is_uid("")
    assert not is_uid("12")
    assert not is_uid(str(uuid.uuid4()))
    assert not is_uid(new_uid().upper())


def test_new_records_get_a_uid(desk):
    records = [*desk.orgs.values(), *desk.users.values()]
    assert all(is_uid(r.uid) for r in records)
    assert len({r.uid for r in records}) == len(records)
