"""The exchange with real processes (issue #14's "Done means"): an office
(``tmdesk serve`` in its own data dir; on PostgreSQL when
``TMDESK_TEST_DATABASE_URL`` is set) and two desks, a recipient's and a donor's,
each its own data dir and SQLite, syncing with ``tmdesk sync``.

What a person does on a desk runs in a separate process on that desk's data
folder through the core services, as the desk's pages do (:func:`on`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess  # nosec B404: runs tmdesk itself
import sys
import textwrap
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests import pg
from tests.live_server import free_port, start_server

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
STRICT_TITLE = "Strictly internal SCADA hardening 7f3a9c"
RAISED_TITLE = "Grid substation monitoring b41d07"
PDF = b"%PDF-1.4\n% a small test document\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDESK_")}
    return env | {"TMDESK_NO_BROWSER": "1"}


@pytest.fixture
def office_env():
    """The office's environment: its own PostgreSQL database when the run has one
    (made beside the worker's database, dropped afterwards)."""
    env = _base_env()
    own = pg.own_database(f"sync_{uuid.uuid4().hex[:10]}")
    if own is None:
        yield env
        return
    yield env | {"TMDESK_DATABASE_URL": own}
    pg.drop_worker_database(own)


def tmdesk(data_dir: Path, *args: str, env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(  # nosec B603: this Python running tmdesk
        [sys.executable, "-m", "tmdesk", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


PRELUDE = """
import json
from pathlib import Path
from tmdesk.core.bootstrap import open_database
from tmdesk.core import projects, pledges, updates
from tmdesk.core.funding import project_funding
from tmdesk.core.models import *
from tmdesk.core.visibility import get_visible_project
from tmdesk.sync import desk, outbox
open_database(Path(DATA))
desk.install()
result = None
"""


def on(data_dir: Path, env: dict, code: str, **values):
    """Run ``code`` on ``data_dir`` in its own process; it sets ``result`` (JSON)."""
    script = f"import json\nDATA = {str(data_dir)!r}\nV = json.loads({json.dumps(values)!r})\n"
    script += PRELUDE + textwrap.dedent(code) + "\nprint('RESULT:' + json.dumps(result))\n"
    done = subprocess.run(  # nosec B603: this Python with a script written here
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT:")][-1]
    return json.loads(line.removeprefix("RESULT:"))


def api(url: str, token: str, method: str, path: str, body=None):
    request = urllib.request.Request(
        f"{url}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310: loopback
        return json.loads(response.read())


def db_bytes(data_dir: Path) -> bytes:
    """Every byte of a desk's database: the file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in data_dir.glob("tmdesk.sqlite3*") if p.suffix != ".lock")


class Office:
    def __init__(self, data_dir: Path, env: dict) -> None:
        self.data_dir, self.env, self.port, self.server = data_dir, env, free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = start_server(self.data_dir, threads=4, env=self.env, port=self.port)

    def stop(self) -> None:
        self.server.stop()

    def user(self, email: str, org: str, kind: str, country: str) -> str:
        done = tmdesk(
            self.data_dir,
            "user",
            "create",
            email,
            "--org",
            org,
            "--org-kind",
            kind,
            "--org-name",
            org,
            "--org-country",
            country,
            "--password-stdin",
            env=self.env,
            stdin=PASSWORD + "\n",
        )
        assert done.returncode == 0, done.stderr
        token = tmdesk(self.data_dir, "token", "create", email, env=self.env)
        assert token.returncode == 0, token.stderr
        return token.stdout.strip().split()[-1]


def published(office: Office, rec: str, officer: str, title: str, tlp: str) -> str:
    fields = {
        "title": {"en": title, "uk": ""},
        "summary": {"en": "Harden the control systems.", "uk": ""},
        "category": "equipment",
        "budget": {"amount": "100000", "currency": "EUR"},
        "tlp": tlp,
    }
    draft_ref = api(office.url, rec, "POST", "/projects", fields)["ref"]
    # The office issues TM-YYYY-NNNN at submission (a draft's ref counts nothing).
    submit = {"action": "submit"}
    ref = api(office.url, rec, "POST", f"/projects/{draft_ref}/transitions", submit)["ref"]
    assert draft_ref.startswith("DRAFT-") and ref.startswith("TM-")
    api(office.url, officer, "POST", f"/projects/{ref}/transitions", {"action": "publish"})
    return ref


def test_recipient_and_donor_desks_work_offline_and_agree_with_the_office(tmp_path, office_env):
    desk_env = _base_env()
    office = Office(tmp_path / "office", office_env)
    recipient, donor = tmp_path / "recipient", tmp_path / "donor"
    officer_token = office.user("officer@backoffice.example", "BACKOFFICE", "back_office", "PL")
    rec_token = office.user("staff@ssscip.example", "SSSCIP", "recipient", "UA")
    office.user("officer@gb.example", "GB", "donor", "GB")
    office.start()
    published(office, rec_token, officer_token, STRICT_TITLE, "AMBER+STRICT")
    raised_ref = published(office, rec_token, officer_token, RAISED_TITLE, "GREEN")
    withdrawn_ref = published(office, rec_token, officer_token, "Radio links for Kharkiv", "GREEN")

    for data_dir, email in ((recipient, "staff@ssscip.example"), (donor, "officer@gb.example")):
        done = tmdesk(
            data_dir,
            "office",
            "link",
            office.url,
            "--email",
            email,
            "--password-stdin",
            env=desk_env,
            stdin=PASSWORD + "\n",
        )
        assert done.returncode == 0, done.stderr + done.stdout

    # The donor desk holds what its person may see, and nothing else.
    assert on(donor, desk_env, "result = sorted(p.ref for p in Project.select())") == sorted(
        [raised_ref, withdrawn_ref]
    )
    assert STRICT_TITLE.encode() not in db_bytes(donor)
    # A pledge made online, to be confirmed offline later.
    on(
        donor,
        desk_env,
        """
        user = User.get(User.email == "officer@gb.example")
        p = Project.get(Project.ref == V["ref"])
        pledges.create_pledge(user, p, {"amount": "1000", "currency": "EUR"})
        """,
        ref=withdrawn_ref,
    )
    assert tmdesk(donor, "sync", env=desk_env).returncode == 0

    # The office goes away; the recipient drafts in Ukrainian, attaches, submits.
    office.stop()
    draft = on(
        recipient,
        desk_env,
        """
        import io
        user = User.get(User.email == "staff@ssscip.example")
        p = projects.create_draft(user, {
            "title_uk": "Захист мережі обласної адміністрації",
            "summary_uk": "Сегментація мережі та моніторинг.",
            "category": "detection", "budget_amount": "250000",
            "budget_currency": "EUR", "tlp": "GREEN"})
        updates.store_document(user, Path(DATA) / "documents", p, "plan.pdf", io.BytesIO(V["pdf"].encode("latin-1")))
        projects.transition(user, Project.get_by_id(p.id), "submit")
        result = {"uid": p.uid, "ref": p.ref}
        """,
        pdf=PDF.decode("latin-1"),
    )
    assert draft["ref"].startswith("DESK-")
    offline = tmdesk(recipient, "sync", env=desk_env)
    assert offline.returncode == 3, offline.stderr
    assert "Nothing is lost" in offline.stderr
    status = json.loads(tmdesk(recipient, "office", "status", "--json", env=desk_env).stdout)
    assert status["waiting"] == 3  # create, attach, submit

    office.start()
    done = tmdesk(recipient, "sync", env=desk_env)
    assert done.returncode == 0, done.stderr
    assert "3 action(s) sent, 0 refused" in done.stdout
    queue = api(office.url, officer_token, "GET", "/projects?status=submitted")["items"]
    [arrived] = [p for p in queue if p["title"]["uk"].startswith("Захист мережі")]
    assert arrived["ref"].startswith("TM-")
    office_doc = on(
        office.data_dir,
        office_env,
        """
        d = Document.get(Document.project == Project.get(Project.uid == V["uid"]).id)
        result = [d.filename, d.sha256, d.size]
        """,
        uid=draft["uid"],
    )
    assert office_doc[0] == "plan.pdf" and office_doc[2] == len(PDF)
    on_desk = on(
        recipient,
        desk_env,
        """
        user = User.get(User.email == "staff@ssscip.example")
        p = Project.get(Project.uid == V["uid"])
        result = [p.ref, get_visible_project(user, V["provisional"]).uid, p.status]
        """,
        uid=draft["uid"],
        provisional=draft["ref"],
    )
    assert on_desk == [arrived["ref"], draft["uid"], "submitted"]

    # The officer publishes; the donor desk sees it, pledges while offline.
    new_ref = arrived["ref"]
    api(
        office.url, officer_token, "POST", f"/projects/{new_ref}/transitions", {"action": "publish"}
    )
    assert tmdesk(donor, "sync", env=desk_env).returncode == 0
    office.stop()
    on(
        donor,
        desk_env,
        """
        user = User.get(User.email == "officer@gb.example")
        pledges.create_pledge(user, Project.get(Project.ref == V["new"]),
                              {"amount": "40000", "currency": "GBP"})
        confirm = Pledge.get(Pledge.project == Project.get(Project.ref == V["gone"]).id)
        pledges.transition_pledge(user, confirm, "confirm")
        """,
        new=new_ref,
        gone=withdrawn_ref,
    )
    office.start()
    # Meanwhile on the office: one project withdrawn, one raised to AMBER+STRICT.
    api(
        office.url,
        officer_token,
        "POST",
        f"/projects/{withdrawn_ref}/transitions",
        {"action": "withdraw", "comment": "Funded elsewhere."},
    )
    on(
        office.data_dir,
        office_env,
        """
        officer = User.get(User.email == "officer@backoffice.example")
        projects.change_tlp(officer, Project.get(Project.ref == V["ref"]), "AMBER+STRICT")
        """,
        ref=raised_ref,
    )
    done = tmdesk(donor, "sync", env=desk_env)
    assert done.returncode == 0, done.stderr
    assert "1 refused" in done.stdout and "withdrawn" in done.stdout
    refused = on(
        donor,
        desk_env,
        """
        result = [[a.kind, a.http_status, json.loads(a.reason)["reason"]]
                  for a in outbox.refused_actions()]
        """,
    )
    # Confirming records the commitment (issue 16), which travels as itself.
    assert refused[0][:2] == ["transaction.create", 409]
    assert "withdrawn" in refused[0][2]
    left = on(donor, desk_env, "result = sorted(p.ref for p in Project.select())")
    assert raised_ref not in left and new_ref in left
    assert RAISED_TITLE.encode() not in db_bytes(donor)
    assert STRICT_TITLE.encode() not in db_bytes(donor)

    # The same funding figures on the office and both desks.
    figures = api(office.url, officer_token, "GET", f"/projects/{new_ref}")["funding"]
    assert figures["pledged_eur"] not in (None, "0.00")
    assert tmdesk(recipient, "sync", env=desk_env).returncode == 0
    funding = """
        f = project_funding(Project.get(Project.ref == V["ref"]))
        result = [f"{f.pledged_eur:.2f}", f"{f.confirmed_eur:.2f}", f.state]
        """
    expected = [figures["pledged_eur"], figures["confirmed_eur"], figures["state"]]
    assert on(recipient, desk_env, funding, ref=new_ref) == expected
    assert on(donor, desk_env, funding, ref=new_ref) == expected

    # Money as it moves (issue 16): tranches and the donor's own fields recorded on
    # the donor's desk reach the office; the office's tranche and a removal come back;
    # the recipient's desk gets the money, never the donor's fields.
    on(
        donor,
        desk_env,
        """
        from tmdesk.core import donor_fields, transactions
        from tmdesk.plugins.manager import make_plugin_manager
        user = User.get(User.email == "officer@gb.example")
        pledge = Pledge.get(Pledge.project == Project.get(Project.ref == V["ref"]).id)
        transactions.record_transaction(user, pledge, {"kind": "commitment",
            "amount": "40000", "value_date": "2025-03-01"})
        transactions.record_transaction(user, Pledge.get_by_id(pledge.id), {
            "kind": "disbursement", "amount": "15000", "value_date": "2025-09-01",
            "reference": "TRANCHE-A"})
        fields = list(make_plugin_manager(None, entry_points=False).donor_fields.values())
        donor_fields.set_values(user, Pledge.get_by_id(pledge.id), fields, {"crs_id": "CRS-GB-4411"})
        """,
        ref=new_ref,
    )
    assert tmdesk(donor, "sync", env=desk_env).returncode == 0
    money = """
        pledge = Pledge.get(Pledge.project == Project.get(Project.ref == V["ref"]).id)
        rows = Transaction.select().where(Transaction.pledge == pledge.id).order_by(
            Transaction.value_date)
        fields = {f.name: f.value for f in PledgeField.select().where(PledgeField.pledge == pledge.id)}
        result = [pledge.status, [[t.kind, f"{t.amount:.2f}", t.reference] for t in rows], fields]
        """
    assert on(office.data_dir, office_env, money, ref=new_ref) == [
        "partly_disbursed",
        [["commitment", "40000.00", ""], ["disbursement", "15000.00", "TRANCHE-A"]],
        {"crs_id": "CRS-GB-4411"},
    ]
    on(
        office.data_dir,
        office_env,
        """
        from tmdesk.core import transactions
        officer = User.get(User.email == "officer@backoffice.example")
        pledge = Pledge.get(Pledge.project == Project.get(Project.ref == V["ref"]).id)
        transactions.record_transaction(officer, pledge, {"kind": "disbursement",
            "amount": "5000", "value_date": "2026-01-15", "reference": "TRANCHE-B"})
        transactions.delete_transaction(officer, Transaction.get(Transaction.reference == "TRANCHE-A"))
        """,
        ref=new_ref,
    )
    agreed = [
        "partly_disbursed",
        [["commitment", "40000.00", ""], ["disbursement", "5000.00", "TRANCHE-B"]],
    ]
    assert tmdesk(donor, "sync", env=desk_env).returncode == 0
    assert on(donor, desk_env, money, ref=new_ref) == agreed + [{"crs_id": "CRS-GB-4411"}]
    assert tmdesk(recipient, "sync", env=desk_env).returncode == 0
    assert on(recipient, desk_env, money, ref=new_ref) == agreed + [{}]
    assert b"CRS-GB-4411" not in db_bytes(recipient)

    # A replayed push creates nothing twice.
    count = """result = Pledge.select().count()"""
    before = on(office.data_dir, office_env, count)
    on(
        donor,
        desk_env,
        "OutboxAction.update(state='pending').where(OutboxAction.state == 'done').execute()",
    )
    replay = tmdesk(donor, "sync", env=desk_env)
    assert replay.returncode == 0, replay.stderr
    assert on(office.data_dir, office_env, count) == before

    # kill -9 of the desk in the middle of a sync, then sync again: nothing lost or doubled.
    on(
        donor,
        desk_env,
        """
        user = User.get(User.email == "officer@gb.example")
        p = Project.get(Project.ref == V["ref"])
        for i in range(250):
            pledges.create_pledge(user, p, {"in_kind": f"Laptop batch {i}"})
        """,
        ref=new_ref,
    )
    process = subprocess.Popen(  # nosec B603: this Python running tmdesk
        [sys.executable, "-m", "tmdesk", "--data-dir", str(donor), "sync"],
        env=desk_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert tmdesk(donor, "sync", env=desk_env).returncode == 0
    in_kind = (
        """result = Pledge.select().where(Pledge.in_kind.startswith("Laptop batch")).count()"""
    )
    assert on(office.data_dir, office_env, in_kind) == 250
    assert on(donor, desk_env, in_kind) == 250
    status = json.loads(tmdesk(donor, "office", "status", "--json", env=desk_env).stdout)
    assert status["waiting"] == 0

    # kill -9 of the office in the middle of a sync: the desk says so (exit 3), and
    # once the office is back nothing is lost or doubled.
    on(
        donor,
        desk_env,
        """
        user = User.get(User.email == "officer@gb.example")
        p = Project.get(Project.ref == V["ref"])
        for i in range(250):
            pledges.create_pledge(user, p, {"in_kind": f"Radio batch {i}"})
        """,
        ref=new_ref,
    )
    process = subprocess.Popen(  # nosec B603: this Python running tmdesk
        [sys.executable, "-m", "tmdesk", "--data-dir", str(donor), "sync"],
        env=desk_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    office.server.process.kill()
    office.server.stop()
    assert process.wait(timeout=120) in (0, 3)
    office.start()
    assert tmdesk(donor, "sync", env=desk_env).returncode == 0
    radios = """result = Pledge.select().where(Pledge.in_kind.startswith("Radio batch")).count()"""
    assert on(office.data_dir, office_env, radios) == 250
    assert on(donor, desk_env, radios) == 250

    # A linked desk that starts syncs by itself.
    on(
        donor,
        desk_env,
        """
        user = User.get(User.email == "officer@gb.example")
        pledges.create_pledge(user, Project.get(Project.ref == V["ref"]), {"in_kind": "Router"})
        """,
        ref=new_ref,
    )
    router = """result = Pledge.select().where(Pledge.in_kind == "Router").count()"""
    desk_server = start_server(donor, threads=2, env=desk_env)
    try:
        deadline = time.monotonic() + 60
        while on(office.data_dir, office_env, router) == 0 and time.monotonic() < deadline:
            time.sleep(1)
        assert on(office.data_dir, office_env, router) == 1
    finally:
        desk_server.stop()
    office.stop()


def _key_line(data_dir: Path, env: dict) -> tuple[str, str]:
    """``tmdesk keys show``: (public key line, fingerprint)."""
    out = tmdesk(data_dir, "keys", "show", env=env)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
    return lines["Public key"].strip(), lines["Fingerprint"].strip()


def test_the_same_story_by_exchange_files_without_a_network(tmp_path, office_env):
    desk_env = _base_env()
    office = Office(tmp_path / "office", office_env)
    donor = tmp_path / "donor"
    office.user("officer@backoffice.example", "BACKOFFICE", "back_office", "PL")
    office.user("staff@ssscip.example", "SSSCIP", "recipient", "UA")
    office.user("officer@gb.example", "GB", "donor", "GB")
    refs = on(
        office.data_dir,
        office_env,
        """
        rec = User.get(User.email == "staff@ssscip.example")
        officer = User.get(User.email == "officer@backoffice.example")
        result = []
        for title, tlp in V["projects"]:
            p = projects.create_draft(rec, {"title_en": title, "summary_en": "Why.",
                "category": "equipment", "budget_amount": "1000", "tlp": tlp})
            projects.transition(rec, p, "submit")
            projects.transition(officer, Project.get_by_id(p.id), "publish")
            result.append(p.ref)
        """,
        projects=[[STRICT_TITLE, "AMBER+STRICT"], [RAISED_TITLE, "GREEN"]],
    )
    # Keys pinned both ways by fingerprint, as administrators would read them out.
    desk_key, desk_fp = _key_line(donor, desk_env)
    office_key, office_fp = _key_line(office.data_dir, office_env)
    pin = tmdesk(
        office.data_dir,
        "keys",
        "trust",
        desk_key,
        "--fingerprint",
        desk_fp,
        "--desk-of",
        "officer@gb.example",
        env=office_env,
    )
    assert pin.returncode == 0, pin.stderr
    pin = tmdesk(
        donor, "keys", "trust", office_key, "--fingerprint", office_fp, "--office", env=desk_env
    )
    assert pin.returncode == 0, pin.stderr

    first = tmp_path / "to-desk-1.tmx"
    out = tmdesk(
        office.data_dir,
        "exchange",
        "export",
        "--for",
        "officer@gb.example",
        "--out",
        str(first),
        env=office_env,
    )
    assert out.returncode == 0, out.stderr
    assert RAISED_TITLE.encode() not in first.read_bytes()  # encrypted
    done = tmdesk(
        donor, "exchange", "import", str(first), "--email", "officer@gb.example", env=desk_env
    )
    assert done.returncode == 0, done.stderr
    assert on(donor, desk_env, "result = [p.ref for p in Project.select()]") == [refs[1]]
    assert STRICT_TITLE.encode() not in db_bytes(donor)
    # The person logs in on the desk with their office password.
    assert on(
        donor,
        desk_env,
        "from tmdesk.core import accounts\nresult = accounts.authenticate('officer@gb.example', V['pw']) is not None",
        pw=PASSWORD,
    )

    # The donor pledges on the desk; the desk's file carries it to the office, once.
    on(
        donor,
        desk_env,
        """
        user = User.get(User.email == "officer@gb.example")
        pledges.create_pledge(user, Project.get(Project.ref == V["ref"]), {"amount": "700", "currency": "EUR"})
        """,
        ref=refs[1],
    )
    back = tmp_path / "to-office-1.tmx"
    assert tmdesk(donor, "exchange", "export", "--out", str(back), env=desk_env).returncode == 0
    tampered = tmp_path / "tampered.tmx"
    raw = bytearray(back.read_bytes())
    raw[len(raw) // 2] ^= 1
    tampered.write_bytes(bytes(raw))
    count = "result = Pledge.select().count()"
    refused = tmdesk(office.data_dir, "exchange", "import", str(tampered), env=office_env)
    assert refused.returncode == 1 and on(office.data_dir, office_env, count) == 0
    done = tmdesk(office.data_dir, "exchange", "import", str(back), env=office_env)
    assert done.returncode == 0, done.stderr
    assert "1 action(s) applied" in done.stdout
    again = tmdesk(office.data_dir, "exchange", "import", str(back), env=office_env)
    assert again.returncode == 1 and "already" in again.stderr.lower()
    assert on(office.data_dir, office_env, count) == 1

    # The office raises the label; its next file answers the pledge and removes the project.
    on(
        office.data_dir,
        office_env,
        """
        officer = User.get(User.email == "officer@backoffice.example")
        projects.change_tlp(officer, Project.get(Project.ref == V["ref"]), "AMBER+STRICT")
        """,
        ref=refs[1],
    )
    second = tmp_path / "to-desk-2.tmx"
    assert (
        tmdesk(
            office.data_dir,
            "exchange",
            "export",
            "--for",
            "officer@gb.example",
            "--out",
            str(second),
            env=office_env,
        ).returncode
        == 0
    )
    done = tmdesk(donor, "exchange", "import", str(second), env=desk_env)
    assert done.returncode == 0, done.stderr
    assert "1 answer(s) applied" in done.stdout and "1 removed" in done.stdout
    assert on(donor, desk_env, "result = Project.select().count()") == 0
    assert RAISED_TITLE.encode() not in db_bytes(donor)
    state = json.loads(tmdesk(donor, "office", "status", "--json", env=desk_env).stdout)
    assert state["waiting"] == 0
