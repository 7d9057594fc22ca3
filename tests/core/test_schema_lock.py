"""Upgrades on either engine: the audit fork guard and covering indexes are created,
and two servers starting at once upgrade the database exactly once."""

from __future__ import annotations

import subprocess
import sys

import peewee

from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database
from tmdesk.core.models import AuditEvent, Meta
from tmdesk.core.schema import CURRENT_VERSION, STEPS, read_version
from tmdesk.core.schema import _audit_fork_guard_and_covering_indexes as FORK_GUARD_STEP

#: The version just before the step that adds the fork guard and covering indexes.
BEFORE_FORK_GUARD = next(n for n, step in STEPS.items() if step is FORK_GUARD_STEP)

STEP_INDEXES = {"project_dashboard", "project_by_recipient", "pledge_funding", "pledge_by_donor"}
PREV_HASH_INDEX = "audit_event_prev_hash"


def _indexes(db) -> set[str]:
    names = set()
    for table in ("project", "pledge", "audit_event"):
        names |= {i.name for i in db.get_indexes(table)}
    return names


def test_two_servers_starting_at_once_upgrade_once(data_dir, desk):
    db = database.obj
    desk.published()
    # Back to the schema before that step: no fork guard, no covering indexes (the
    # later steps must then find their work done and change nothing).
    for name in STEP_INDEXES | {PREV_HASH_INDEX}:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')  # nosec B608: this test's constants
    Meta.update(value=str(BEFORE_FORK_GUARD)).where(Meta.key == "schema_version").execute()
    database.close()

    code = "import sys; from tmdesk.core.bootstrap import open_database; open_database(sys.argv[1])"
    starts = [
        subprocess.Popen([sys.executable, "-c", code, str(data_dir)], stderr=subprocess.PIPE)  # nosec B603
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in starts]
    assert [p.returncode for p in starts] == [0, 0], errors

    db = open_database(data_dir)
    with database.connection_context():
        assert read_version(db) == CURRENT_VERSION
        assert STEP_INDEXES | {PREV_HASH_INDEX} <= _indexes(db)
        assert any(i.unique for i in db.get_indexes("audit_event") if i.name == PREV_HASH_INDEX)
        # The fork guard holds: a second event after the same one is refused.
        last = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
        try:
            with database.atomic():
                AuditEvent.create(
                    action="forged",
                    entity_type="x",
                    entity_id="1",
                    prev_hash=last.prev_hash,
                    hash="f" * 64,
                )
        except peewee.IntegrityError:
            pass
        else:
            raise AssertionError("a fork of the audit chain was stored")
