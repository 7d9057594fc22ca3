"""A small world of every role, project state and derived row, for the security tests.

Shared by tests/web/test_access_matrix.py and tests/web/test_hostile_input.py. Building
a world takes a moment, so it is built once per test process and copied (the
whole data folder) into each test's own data folder; a test that changes
state can put the copy back between requests with :func:`restore`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests import pg
from tests.helpers import DRAFT_FIELDS, PASSWORD, create_people
from tests.helpers import ORGS as DESK_ORGS
from tmdesk import paths
from tmdesk.core import (
    accounts,
    offers,
    pledges,
    plugin_approvals,
    projects,
    similarity,
    tokens,
    updates,
)
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import DATABASE_FILENAME, database
from tmdesk.core.models import (
    ALL_MODELS,
    AccountChange,
    ApiToken,
    DeskLink,
    Document,
    Engagement,
    Offer,
    OfferLink,
    Organisation,
    Pledge,
    Project,
    ProjectMember,
    Update,
    User,
)
from tmdesk.core.visibility import can_see
from tmdesk.exchange import trust
from tmdesk.exchange.keys import installation_keys

#: The roles whose organisation the ``desk`` fixture names differently.
_DESK_KEYS = {"recipient_other": "recipient2", "donor_other": "donor2", "company_other": "company2"}
#: role key → (organisation code, kind, country, name), the ``desk`` fixture's
#: organisations; "admin" is a TMPO user.
ORGS = {
    role: DESK_ORGS[_DESK_KEYS.get(role, role)]
    for role in (
        "recipient",
        "recipient_other",
        "back_office",
        "project_office",
        "donor",
        "donor_other",
        "observer",
        "company",
        "company_other",
    )
}

#: The roles every route is checked for ("company" is engaged on the projects,
#: "company_other" is not; "recipient" owns them, "recipient_other" does not).
ROLES = (
    "anonymous",
    "recipient",
    "recipient_other",
    "back_office",
    "project_office",
    "donor",
    "observer",
    "company",
    "company_other",
    "admin",
)
LOGGED_IN = tuple(r for r in ROLES if r != "anonymous")

TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
#: Workflow states, with the two kinds of withdrawn project (never / once published).
STATES = (
    "draft",
    "submitted",
    "returned",
    "rejected",
    "withdrawn_early",
    "published",
    "in_implementation",
    "delivered",
    "closed",
    "withdrawn_late",
)
#: The steps (actor, action) that bring a fresh draft into each state.
_PATH = {
    "draft": [],
    "submitted": [("recipient", "submit")],
    "returned": [("recipient", "submit"), ("back_office", "return")],
    "rejected": [("recipient", "submit"), ("back_office", "reject")],
    "withdrawn_early": [("recipient", "submit"), ("recipient", "withdraw")],
    "published": [("recipient", "submit"), ("back_office", "publish")],
    "in_implementation": [
        ("recipient", "submit"),
        ("back_office", "publish"),
        ("recipient", "start"),
    ],
    "delivered": [
        ("recipient", "submit"),
        ("back_office", "publish"),
        ("recipient", "start"),
        ("recipient", "deliver"),
    ],
    "closed": [
        ("recipient", "submit"),
        ("back_office", "publish"),
        ("recipient", "start"),
        ("recipient", "deliver"),
        ("back_office", "close"),
    ],
    "withdrawn_late": [
        ("recipient", "submit"),
        ("back_office", "publish"),
        ("recipient", "withdraw"),
    ],
}


def email(role: str) -> str:
    return f"{role}@example.org"


@dataclass
class World:
    """Ids of what :func:`build` made (rows are re-read in each test's own database)."""

    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    #: (tlp, state) → ref of the matrix project; its title carries a marker.
    matrix: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (ref, role) → can_see, worked out once when the world is built (the oracle).
    visible: dict[tuple[str, str], bool] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else User.get_by_id(self.users[role])

    def project(self, key: str) -> Project:
        return Project.get(Project.ref == self.refs[key])


def marker(tlp: str, state: str) -> str:
    """The distinctive title word of a matrix project (never appears anywhere else)."""
    return "Zq" + re.sub(r"[^A-Za-z]", "", tlp + state).lower() + "Marker"


def _draft(owner: User, **fields) -> Project:
    return projects.create_draft(owner, DRAFT_FIELDS | fields)


def _walk(users: dict[str, User], project: Project, state: str) -> Project:
    for actor, action in _PATH[state]:
        comment = "Because." if action in ("return", "reject", "withdraw") else ""
        projects.transition(users[actor], project, action, comment)
    return Project.get_by_id(project.id)


#: Harmless plugin files (no hooks) for the Plugins page's approve and revoke.
PENDING_PLUGIN = "# a partner's plugin, not yet approved\n"
APPROVED_PLUGIN = "# a partner's plugin, approved\n"
PENDING_SHA256 = hashlib.sha256(PENDING_PLUGIN.encode()).hexdigest()


def _build(data_dir: Path, with_matrix: bool) -> World:
    world = World()
    _orgs, users = create_people(ORGS, lambda role: role)
    for role, user in users.items():
        world.users[role] = user.id
        world.tokens[role] = tokens.create_token(None, user, "tests")[1]
    docs = paths.documents_dir(data_dir)
    # Plugin files: one awaiting approval, one approved (the Plugins page's actions).
    plugins_dir = paths.plugins_dir(data_dir)
    plugins_dir.mkdir(parents=True, exist_ok=True)
    (plugins_dir / "pending.py").write_text(PENDING_PLUGIN, encoding="utf-8")
    (plugins_dir / "approved.py").write_text(APPROVED_PLUGIN, encoding="utf-8")
    plugin_approvals.approve(
        users["admin"], "approved.py", hashlib.sha256(APPROVED_PLUGIN.encode()).hexdigest()
    )
    # A trusted desk key (Administration → Keys can revoke it).
    desk_key = installation_keys(data_dir.parent / "a-desk").public
    trust.pin_linked_key(None, desk_key, role=trust.ROLE_DESK, person_email="donor@example.org")
    world.refs["trusted_key"] = desk_key.fingerprint
    # A desk linked to this office for the donor (Administration → Desks can unlink it).
    desk_link = DeskLink.create(
        token=tokens.create_token(users["donor"], users["donor"], "desk: laptop")[0],
        user=users["donor"],
        desk_name="laptop",
    )

    # The project every role may see: published, TLP:GREEN, with one of everything.
    pub = _walk(users, _draft(users["recipient"], title_en="Public grid monitoring"), "published")
    pub2 = _walk(users, _draft(users["recipient"], title_en="Public second project"), "published")
    draft = _draft(users["recipient"], title_en="Own draft")
    engagement = offers.create_engagement(
        users["back_office"], pub, "CYBERCO", {"role": "SOC deployment"}
    )
    offered = pledges.create_pledge(
        users["donor"], pub, {"amount": "1000", "currency": "EUR", "date": "2026-01-10"}
    )
    confirmed = pledges.create_pledge(
        users["donor_other"], pub, {"amount": "5000", "currency": "EUR", "date": "2026-01-11"}
    )
    pledges.transition_pledge(users["donor_other"], confirmed, "confirm")
    donor_offer = offers.create_offer(
        users["donor"],
        {"category": "training", "description": "SOC analyst training for 40 people"},
    )
    company_offer = offers.create_offer(
        users["company"], {"category": "equipment", "description": "Firewall licences"}
    )
    link = offers.link_offer(users["back_office"], donor_offer, pub, "fits")
    doc = updates.store_document(
        users["recipient"], docs, pub, "note.txt", io.BytesIO(b"hello world\n")
    )
    update = updates.post_update(users["recipient"], pub, {"title": "Kick-off", "body": "Begun."})
    # An officer's decision about the pair (Undo answers for duplicate decisions only).
    decision = similarity.record_decision(users["back_office"], pub, pub2, "related")
    world.refs.update(pub=pub.ref, pub2=pub2.ref, draft=draft.ref)
    # A change waiting for a second administrator (issue 12): another administrator
    # reset the recipient's password, which would reach the recipient's own draft.
    second_admin = accounts.create_user(
        None, "second.admin@example.org", "TMPO", PASSWORD, is_admin=True
    )
    with contextlib.suppress(accounts.SecondApprovalNeeded):
        accounts.set_password(second_admin, users["recipient"], "held back passphrase")
    account_change = AccountChange.get(AccountChange.status == "pending")
    world.ids.update(
        decision=decision.id,
        engagement=engagement.id,
        pledge=offered.id,
        pledge_confirmed=confirmed.id,
        donor_offer=donor_offer.id,
        company_offer=company_offer.id,
        link=link.id,
        doc=doc.id,
        update=update.id,
        donor_token=ApiToken.get(ApiToken.user == users["donor"].id, ApiToken.name == "tests").id,
        desk_link=desk_link.id,
        donor_other_user=users["donor_other"].id,
        org_donor=users["donor"].organisation_id,
        account_change=account_change.id,
    )

    if with_matrix:
        _build_matrix(world, users, docs, donor_offer)
    return world


def _build_matrix(world: World, users: dict[str, User], docs: Path, offer: Offer) -> None:
    """A project in every (TLP label, state), each with a pledge, an engagement of
    CYBERCO, a document, an update and an offer link (written directly: the
    workflow would refuse some of them in some states, but the rows may exist)."""
    # A RED project is submitted with an officer named: one who is not a role here.
    reviewer = accounts.create_user(
        None,
        "red.reviewer@example.org",
        users["back_office"].organisation.code,
        PASSWORD,
        name="RED reviewer",
    )
    for tlp in TLPS:
        for state in STATES:
            title = marker(tlp, state)
            draft = _draft(
                users["recipient"],
                title_en=title,
                title_uk=title,
                tlp=tlp,
                summary_en=f"Summary of {title}",
            )
            if tlp == "RED":
                projects.set_members(users["recipient"], draft, [reviewer.email])
            project = _walk(users, draft, state)
            if tlp == "RED":  # the donor is named too: RED means "named people only"
                ProjectMember.create(project=project, user=users["donor"])
            Pledge.create(
                project=project,
                donor=users["donor"].organisation,
                amount="700",
                currency="EUR",
                date="2026-02-01",
                created_by=users["donor"],
                in_kind=f"kit for {title}",
            )
            Engagement.create(
                project=project,
                company=users["company"].organisation,
                role=f"role on {title}",
                created_by=users["back_office"],
            )
            OfferLink.create(
                offer=offer, project=project, note=f"link {title}", created_by=users["back_office"]
            )
            update = Update.create(
                project=project,
                author=users["recipient"],
                date="2026-02-02",
                title=f"update {title}",
                body=title,
            )
            stored = hashlib.sha256(title.encode()).hexdigest()[:32]
            (docs / stored).write_bytes(title.encode())
            Document.create(
                project=project,
                update=update,
                filename=f"{title}.txt",
                stored_name=stored,
                content_type="text/plain",
                size=len(title),
                sha256="0" * 64,
                uploaded_by=users["recipient"],
            )
            world.matrix[(tlp, state)] = project.ref
    for ref in world.matrix.values():
        project = Project.get(Project.ref == ref)
        for role, user in users.items():
            world.visible[(ref, role)] = can_see(User.get_by_id(user.id), project)


#: Per process: the built world's data dir, the world, and on PostgreSQL its rows.
_CACHE: dict[bool, tuple[Path, World, dict | None]] = {}


def world_in(data_dir: Path, with_matrix: bool = False) -> World:
    """Put a built world into ``data_dir`` (building it once per process) and open it.

    On SQLite the built database file is copied; on PostgreSQL (``tests/pg.py``)
    the built rows are put back into the worker's database."""
    if with_matrix not in _CACHE:
        build_dir = Path(tempfile.mkdtemp(prefix="tmdesk-world-")) / "data"
        open_database(build_dir)
        database.connect(reuse_if_open=True)
        if not pg.on_postgresql():
            database.execute_sql("PRAGMA synchronous=OFF")  # a scratch copy: speed over safety
        world = _build(build_dir, with_matrix)
        database.close()
        rows = pg.resetter().capture() if pg.on_postgresql() else None
        _CACHE[with_matrix] = (build_dir, world, rows)
    build_dir, world, rows = _CACHE[with_matrix]
    _force_close()
    if rows is not None:
        pg.resetter().put_back(rows)
    shutil.copytree(build_dir, data_dir, dirs_exist_ok=True)
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    return world


def fast_sync() -> None:
    """Test copies need no fsync per commit: drop ``synchronous`` to OFF on each connect
    (SQLite; the PostgreSQL test cluster runs without fsync already)."""
    if pg.on_postgresql():
        return
    db = database.obj
    db._pragmas = [(k, "off" if k == "synchronous" else v) for k, v in db._pragmas]
    if not db.is_closed():
        db.execute_sql("PRAGMA synchronous=OFF")


def snapshot(data_dir: Path) -> bytes | dict:
    """The database's state: the SQLite file's bytes (closed first, so WAL is folded
    in), or on PostgreSQL every row."""
    _force_close()
    if pg.on_postgresql():
        state = pg.resetter().capture()
    else:
        state = (data_dir / DATABASE_FILENAME).read_bytes()
    database.connect()
    return state


def _force_close() -> None:
    """Close this thread's connection, even one a failed request left in a transaction."""
    db = database.obj
    if db.is_closed():
        return
    try:
        db.close()
    except Exception:  # "closing while a transaction is open": drop it all the same
        db._state.conn.close()
        db._state.reset()


def restore(data_dir: Path, blob: bytes | dict) -> None:
    """Put the database back as :func:`snapshot` saw it."""
    _force_close()
    if isinstance(blob, dict):
        pg.resetter().put_back(blob)
        database.connect()
        return
    path = data_dir / DATABASE_FILENAME
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(blob)
    database.connect()


#: Bookkeeping that a read may update without changing anything a user sees.
#: Bookkeeping a GET may write: when a token or a browser session was last used.
_IGNORED_COLUMNS = {("api_token", "last_used_at"), ("user_session", "last_seen_at")}


def fingerprint() -> str:
    """A digest of every row of every table (what "no state change" compares)."""
    digest = hashlib.sha256()
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = [
            f.column_name
            for f in model._meta.sorted_fields
            if (table, f.column_name) not in _IGNORED_COLUMNS
        ]
        cursor = database.execute_sql(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY 1')  # noqa: S608
        for row in cursor.fetchall():
            digest.update(repr(row).encode())
        digest.update(table.encode())
    return digest.hexdigest()


def row_counts() -> dict[str, int]:
    return {m._meta.table_name: m.select().count() for m in ALL_MODELS}


__all__ = [
    "ALL_MODELS",
    "Organisation",
    "World",
    "world_in",
    "snapshot",
    "restore",
    "fingerprint",
    "row_counts",
    "marker",
    "ROLES",
    "LOGGED_IN",
    "TLPS",
    "STATES",
    "PASSWORD",
    "email",
]
