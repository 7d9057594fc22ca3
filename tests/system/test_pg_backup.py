"""Backups and restores on PostgreSQL: pg_dump -Fc, pg_restore after checks.

Runs only on the PostgreSQL run of the suite (``TMDESK_TEST_DATABASE_URL``);
the SQLite file backup is tested in test_cli.py and test_backup_auto.py.
"""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from tmdesk.cli import cli
from tmdesk.core import pg_backup
from tmdesk.core.audit import verify_chain
from tmdesk.core.db import database
from tmdesk.core.models import Meta, Project
from tmdesk.core.schema import CURRENT_VERSION

pytestmark = pytest.mark.postgresql_only


def tmdesk(data_dir, *args: str):
    database.close()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])
    database.connect(reuse_if_open=True)
    return result


def test_backup_and_restore_round_trip(desk, data_dir, tmp_path):
    kept_ref = desk.published().ref
    out = tmp_path / "office.dump"
    result = tmdesk(data_dir, "backup", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"Backup written to {out}" in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # password hashes inside
    assert pg_backup.check_archive(out, database.obj.tmdesk_url) >= 3

    lost_ref = desk.draft().ref  # made after the backup: the restore takes it away
    Project.delete().where(Project.ref == kept_ref).execute()  # a mistake to undo
    result = tmdesk(data_dir, "restore", str(out))
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "replaced-" in result.output
    refs = {p.ref for p in Project.select()}
    assert kept_ref in refs and lost_ref not in refs
    assert verify_chain().ok
    kept = list((data_dir / "backups").glob("replaced-*.dump"))
    assert len(kept) == 1 and pg_backup.check_archive(kept[0], database.obj.tmdesk_url)


def test_restore_refuses_what_is_not_a_tmdesk_backup(desk, data_dir, tmp_path):
    ref = desk.draft().ref
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"PGDMP but not really")
    for path in (junk, tmp_path / "missing.dump"):
        result = tmdesk(data_dir, "restore", str(path))
        assert result.exit_code == 1
        assert "nothing was restored" in result.output
        assert "Restored" not in result.output
    assert Project.get(Project.ref == ref)


def test_restore_refuses_a_newer_backup(desk, data_dir, tmp_path):
    ref = desk.draft().ref
    Meta.update(value="999").where(Meta.key == "schema_version").execute()
    out = pg_backup.dump(database.obj, database.obj.tmdesk_url, tmp_path / "newer.dump")
    Meta.update(value=str(CURRENT_VERSION)).where(Meta.key == "schema_version").execute()
    Project.delete().execute()
    result = tmdesk(data_dir, "restore", str(out))
    assert result.exit_code == 1 and "newer tmdesk" in result.output
    assert not Project.select().where(Project.ref == ref).exists()  # unchanged


def test_restore_refuses_while_a_server_is_connected(desk, data_dir, tmp_path):
    out = pg_backup.dump(database.obj, database.obj.tmdesk_url, tmp_path / "b.dump")
    import psycopg

    from tmdesk.core.pg_engine import connect_params

    params = connect_params(database.obj.tmdesk_url) | {"application_name": "tmdesk"}
    with psycopg.connect(**params):  # what a running tmdesk serve holds
        result = tmdesk(data_dir, "restore", str(out))
    assert result.exit_code == 1
    assert "another tmdesk is connected" in result.output


def test_backup_without_pg_dump_says_what_to_do(desk, data_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(pg_backup, "DEBIAN_BIN", tmp_path / "nowhere")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = tmdesk(data_dir, "backup", "--out", str(tmp_path / "x.dump"))
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output and "postgresql-client" in result.output
    assert not [name for name in os.listdir(tmp_path) if name.startswith("x.dump")]
