"""Peewee models: the domain words of DESIGN.md section 3 as tables.

Money is stored as integer minor units (cents) behind :class:`MoneyField` so
sums are exact on every database and the Python side only sees ``Decimal``.
Funding state is never stored: see :mod:`tmdesk.core.funding`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee as pw

from tmdesk.core.db import database
from tmdesk.core.i18n import in_language
from tmdesk.core.ids import new_uid


def utcnow() -> dt.datetime:
    """The current UTC time, naive, to the second (how timestamps are stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class MoneyField(pw.BigIntegerField):
    """A decimal amount with two places, stored exactly as integer cents."""

    def db_value(self, value):
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def python_value(self, value):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


class DecimalTextField(pw.TextField):
    """An exact decimal stored as text (exchange rates)."""

    def db_value(self, value):
        return None if value is None else str(Decimal(value))

    def python_value(self, value):
        return None if value is None else Decimal(value)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False
        # save() writes only the fields changed on this instance, so an
        # older copy of a row never writes stale values back over newer ones.
        only_save_dirty = True


def model_update(model: type[BaseModel], **values) -> pw.ModelUpdate:
    """``model.update(**values)``, also for Document (its field "update" hides the method)."""
    return BaseModel.update.__func__(model, **values)


class Meta(BaseModel):
    """Key-value facts about the database itself (schema version, audit head)."""

    key = pw.CharField(primary_key=True, max_length=64)
    value = pw.TextField()


class Organisation(BaseModel):
    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    code = pw.CharField(unique=True, max_length=32)
    kind = pw.CharField(max_length=20, index=True)
    country = pw.CharField(max_length=2)
    iati_id = pw.CharField(max_length=64, null=True)
    name_en = pw.CharField(max_length=200)
    name_uk = pw.CharField(max_length=200, default="")
    #: A recipient's finer kind (:data:`tmdesk.core.vocab.RECIPIENT_TYPES`), since
    #: donors' channel codes depend on it; "" for other kinds (schema version 8).
    recipient_type = pw.CharField(max_length=24, null=True, default="")
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    def name(self, locale: str = "en") -> str:
        """The name in ``locale``, falling back to the other language."""
        return in_language(self.name_en, self.name_uk, locale)


class User(BaseModel):
    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    email = pw.CharField(unique=True, max_length=254)
    name = pw.CharField(max_length=200, default="")
    organisation = pw.ForeignKeyField(Organisation, backref="users", on_delete="RESTRICT")
    password_hash = pw.CharField(max_length=256)
    is_admin = pw.BooleanField(default=False)
    active = pw.BooleanField(default=True)
    locale = pw.CharField(max_length=8, null=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_login_at = pw.DateTimeField(null=True)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    #: Changes when the password changes or the account is reset, so that
    #: existing sessions end (used as flask-login's alternative id).
    session_nonce = pw.CharField(max_length=64, default="")

    @property
    def role(self) -> str:
        """The role derived from the organisation kind (DESIGN.md section 3)."""
        return self.organisation.kind

    # The session-user protocol flask-login expects (duck-typed: no Flask here).
    # The id carries the session nonce, so a password change ends old sessions.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"


class ApiToken(BaseModel):
    """A per-user API token; only its SHA-256 is stored."""

    user = pw.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = pw.CharField(max_length=100, default="")
    token_hash = pw.CharField(max_length=64, unique=True)
    prefix = pw.CharField(max_length=12)
    created_at = pw.DateTimeField(default=utcnow)
    last_used_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)
    #: When the token stops working (schema version 10; None only in rows an
    #: upgrade could not date, treated as expired).
    expires_at = pw.DateTimeField(null=True)
    #: ``read`` (GET only) or ``read_write`` (see tmdesk.core.tokens.TOKEN_SCOPES).
    scope = pw.CharField(max_length=20, default="read_write")


class UserSession(BaseModel):
    """One logged-in browser session, known to the server (schema version 10).

    The signed session cookie carries a random key whose SHA-256 is stored
    here; a cookie whose row is gone is no session. Logging out deletes the
    row, so a copied cookie stops working with its owner's; a password change
    or deactivation deletes every row of the account.
    """

    user = pw.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    key_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_seen_at = pw.DateTimeField(default=utcnow)


class AccountChange(BaseModel):
    """An administrator's account change that waits for a second administrator
    (schema version 10): it would let an account read projects the requesting
    administrator may not read. See tmdesk.core.accounts.request_or_apply.
    """

    kind = pw.CharField(max_length=32)  # password | create_user | organisation
    #: The account or organisation changed (None for a new account).
    user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="CASCADE")
    organisation = pw.ForeignKeyField(Organisation, null=True, backref="+", on_delete="CASCADE")
    #: What to apply, as JSON (a new password only as its hash).
    payload = pw.TextField()
    requested_by = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    requested_at = pw.DateTimeField(default=utcnow)
    decided_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    decided_at = pw.DateTimeField(null=True)
    status = pw.CharField(max_length=12, default="pending")  # pending | approved | refused


#: The Catalogue's page (tmdesk.core.catalogue): one category, newest first,
#: read in index order and stopped after a page, with the columns the visibility
#: rule and the status filter test, so neither the page nor its count reads the
#: rows themselves. Created on both engines by create_tables and, in databases
#: made before it, by schema step ``_add_catalogue_index``.
CATALOGUE_INDEX_FIELDS = (
    "category",
    "created_at",
    "id",
    "status",
    "tlp",
    "recipient",
    "published_at",
    "submitted_at",
)


class Project(BaseModel):
    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    #: Bumped by every audited write (:func:`tmdesk.core.audit.record`): the
    #: precondition a desk's edit is checked against (schema version 6).
    version = pw.IntegerField(default=1)
    ref = pw.CharField(unique=True, max_length=20)
    title_en = pw.CharField(max_length=300, default="")
    title_uk = pw.CharField(max_length=300, default="")
    summary_en = pw.TextField(default="")
    summary_uk = pw.TextField(default="")
    category = pw.CharField(max_length=32, index=True)
    recipient = pw.ForeignKeyField(Organisation, backref="projects", on_delete="RESTRICT")
    oblast = pw.CharField(max_length=8, default="UA", index=True)
    budget_amount = MoneyField(default=0)
    budget_currency = pw.CharField(max_length=3, default="EUR")
    priority = pw.CharField(max_length=10, default="medium", index=True)
    tlp = pw.CharField(max_length=12, default="AMBER", index=True)
    status = pw.CharField(max_length=20, default="draft", index=True)
    planned_start = pw.DateField(null=True)
    planned_end = pw.DateField(null=True)
    beneficiaries = pw.TextField(default="")
    created_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    submitted_at = pw.DateTimeField(null=True)
    #: Set the first time the project is published; a withdrawn project that
    #: was once published stays visible under its TLP label.
    published_at = pw.DateTimeField(null=True)
    duplicate_of = pw.ForeignKeyField("self", null=True, backref="duplicates", on_delete="SET NULL")

    def title(self, locale: str = "en") -> str:
        """Title in ``locale``, falling back to the other language."""
        return in_language(self.title_en, self.title_uk, locale)

    def summary(self, locale: str = "en") -> str:
        """Summary in ``locale``, falling back to the other language."""
        return in_language(self.summary_en, self.summary_uk, locale)

    class Meta:
        indexes = ((CATALOGUE_INDEX_FIELDS, False),)


class ProjectMember(BaseModel):
    """A user named on a project: the only people who see a TLP:RED project."""

    project = pw.ForeignKeyField(Project, backref="members", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")

    class Meta:
        indexes = ((("project", "user"), True),)


class StatusChange(BaseModel):
    """One step of a project's status history: who, when, why."""

    project = pw.ForeignKeyField(Project, backref="history", on_delete="CASCADE")
    from_status = pw.CharField(max_length=20, null=True)
    to_status = pw.CharField(max_length=20)
    action = pw.CharField(max_length=20)
    user = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    at = pw.DateTimeField(default=utcnow)
    comment = pw.TextField(default="")


class Offer(BaseModel):
    """Assistance put forward before a project is chosen."""

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    #: Bumped by every audited write (:func:`tmdesk.core.audit.record`): the
    #: precondition a desk's edit is checked against (schema version 6).
    version = pw.IntegerField(default=1)
    organisation = pw.ForeignKeyField(Organisation, backref="offers", on_delete="RESTRICT")
    category = pw.CharField(max_length=32, index=True)
    description = pw.TextField()
    quantity = pw.IntegerField(null=True)
    value_amount = MoneyField(null=True)
    value_currency = pw.CharField(max_length=3, null=True)
    status = pw.CharField(max_length=12, default="open", index=True)
    valid_until = pw.DateField(null=True)
    created_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)


class OfferLink(BaseModel):
    """An offer matched by an officer to a project it could serve."""

    #: Names the link in URLs (schema version 12): ids count, uids do not.
    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    offer = pw.ForeignKeyField(Offer, backref="links", on_delete="CASCADE")
    project = pw.ForeignKeyField(Project, backref="offer_links", on_delete="CASCADE")
    note = pw.TextField(default="")
    created_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("offer", "project"), True),)


class Pledge(BaseModel):
    """A donor's support for one project: money and/or in kind."""

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    #: Bumped by every audited write (:func:`tmdesk.core.audit.record`): the
    #: precondition a desk's edit is checked against (schema version 6).
    version = pw.IntegerField(default=1)
    project = pw.ForeignKeyField(Project, backref="pledges", on_delete="CASCADE")
    donor = pw.ForeignKeyField(Organisation, backref="pledges", on_delete="RESTRICT")
    amount = MoneyField(null=True)
    currency = pw.CharField(max_length=3, null=True)
    in_kind = pw.TextField(default="")
    in_kind_quantity = pw.IntegerField(null=True)
    status = pw.CharField(max_length=20, default="offered", index=True)
    date = pw.DateField()
    offer = pw.ForeignKeyField(Offer, null=True, backref="pledges", on_delete="SET NULL")
    note = pw.TextField(default="")
    created_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)


class Engagement(BaseModel):
    """A company implementing (part of) a project."""

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    #: Bumped by every audited write (:func:`tmdesk.core.audit.record`): the
    #: precondition a desk's edit is checked against (schema version 6).
    version = pw.IntegerField(default=1)
    project = pw.ForeignKeyField(Project, backref="engagements", on_delete="CASCADE")
    company = pw.ForeignKeyField(Organisation, backref="engagements", on_delete="RESTRICT")
    role = pw.CharField(max_length=200)
    contract_amount = MoneyField(null=True)
    contract_currency = pw.CharField(max_length=3, null=True)
    start_date = pw.DateField(null=True)
    end_date = pw.DateField(null=True)
    created_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=utcnow)


class Update(BaseModel):
    """A dated progress report on a project."""

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    #: Bumped by every audited write (:func:`tmdesk.core.audit.record`): the
    #: precondition a desk's edit is checked against (schema version 6).
    version = pw.IntegerField(default=1)
    project = pw.ForeignKeyField(Project, backref="updates", on_delete="CASCADE")
    author = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    date = pw.DateField()
    title = pw.CharField(max_length=300)
    body = pw.TextField(default="")
    progress = pw.IntegerField(null=True)  # percent complete, if the author says
    created_at = pw.DateTimeField(default=utcnow)


class Document(BaseModel):
    """A file attached to a project, an update or a pledge.

    The bytes live in ``<data dir>/documents/<stored_name>``, never under a
    static folder; they are served only through a permission-checked route.
    """

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    #: Bumped by every audited write (:func:`tmdesk.core.audit.record`): the
    #: precondition a desk's edit is checked against (schema version 6).
    version = pw.IntegerField(default=1)
    project = pw.ForeignKeyField(Project, backref="documents", on_delete="CASCADE")
    update = pw.ForeignKeyField(Update, null=True, backref="documents", on_delete="CASCADE")
    pledge = pw.ForeignKeyField(Pledge, null=True, backref="documents", on_delete="CASCADE")
    filename = pw.CharField(max_length=255)
    stored_name = pw.CharField(max_length=64, unique=True)
    content_type = pw.CharField(max_length=100)
    size = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)
    uploaded_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    uploaded_at = pw.DateTimeField(default=utcnow)


class ExchangeRate(BaseModel):
    """How many euros one unit of ``currency`` is worth (editable by admins)."""

    currency = pw.CharField(primary_key=True, max_length=3)
    eur_per_unit = DecimalTextField()
    updated_at = pw.DateTimeField(default=utcnow)


class DatedRate(BaseModel):
    """An exchange rate from its effective date on (schema version 8).

    A transaction converts at the rate in force on its value date: the latest
    ``effective_from`` on or before it (:class:`tmdesk.core.rates.RateBook`).
    :class:`ExchangeRate` keeps the rate in force today, for the figures that
    need no date.
    """

    currency = pw.CharField(max_length=3)
    effective_from = pw.DateField()
    eur_per_unit = DecimalTextField()
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("currency", "effective_from"), True),)


class Transaction(BaseModel):
    """Money (or goods) actually moving on a pledge, dated (schema version 8).

    ``kind`` is one of :data:`tmdesk.core.transactions.KINDS`. A pledge's status
    follows from its commitments and disbursements
    (:func:`tmdesk.core.transactions.derived_status`), never set by hand. An
    in-kind delivery is a disbursement whose ``quantity`` says how many were
    delivered; its ``amount`` is the value, when known.
    """

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    pledge = pw.ForeignKeyField(Pledge, backref="transactions", on_delete="CASCADE")
    kind = pw.CharField(max_length=24)
    amount = MoneyField(null=True)
    currency = pw.CharField(max_length=3, null=True)
    quantity = pw.IntegerField(null=True)
    value_date = pw.DateField()
    reference = pw.CharField(max_length=100, default="")
    note = pw.TextField(default="")
    engagement = pw.ForeignKeyField(
        Engagement, null=True, backref="transactions", on_delete="SET NULL"
    )
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("pledge", "kind", "value_date"), False),)


class AuditEvent(BaseModel):
    """Every change: who, when, what, before and after; hash-chained."""

    at = pw.DateTimeField(default=utcnow, index=True)
    user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    user_email = pw.CharField(max_length=254, default="")
    action = pw.CharField(max_length=64)
    entity_type = pw.CharField(max_length=32, index=True)
    entity_id = pw.CharField(max_length=64, index=True)
    before = pw.TextField(null=True)  # JSON
    after = pw.TextField(null=True)  # JSON
    #: Unique: two events after the same one would be a fork of the chain, and the
    #: database refuses the second instead of keeping both (see audit.record).
    prev_hash = pw.CharField(max_length=64, unique=True)
    hash = pw.CharField(max_length=64)


class ProjectLink(BaseModel):
    """An officer's decision about a pair of projects: duplicate, related or not a duplicate.

    The pair is stored once, lower id first; a decided pair is not raised again
    as a likely duplicate.
    """

    #: Names the decision in URLs (schema version 12): ids count, uids do not.
    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    project_a = pw.ForeignKeyField(Project, backref="+", on_delete="CASCADE")
    project_b = pw.ForeignKeyField(Project, backref="+", on_delete="CASCADE")
    kind = pw.CharField(max_length=16, index=True)
    score = pw.FloatField(null=True)
    note = pw.TextField(default="")
    created_by = pw.ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("project_a", "project_b"), True),)


class PluginApproval(BaseModel):
    """An administrator's approval of one plugin file in ``<data dir>/plugins/``.

    The file runs only while its SHA-256 equals the pinned ``sha256``: a
    changed file is held back until it is approved again (schema version 2).
    """

    file_name = pw.CharField(primary_key=True, max_length=255)
    sha256 = pw.CharField(max_length=64)
    approved_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    approved_by_email = pw.CharField(max_length=254, default="")
    approved_at = pw.DateTimeField(default=utcnow)


class TrustedKey(BaseModel):
    """Another installation's public keys, pinned by an administrator or by linking online.

    ``role`` is ``office`` or ``desk`` (then ``person_email`` is whose desk).
    A revoked key stays in the table, so its files are refused as revoked,
    not as unknown. ``last_in`` is the sequence number of the last file
    imported from it, ``last_out`` of the last one written for it
    (:mod:`tmdesk.exchange.trust`).
    """

    fingerprint = pw.CharField(max_length=32, unique=True)
    sign_key = pw.CharField(max_length=64)  # hex, Ed25519
    box_key = pw.CharField(max_length=64)  # hex, X25519
    role = pw.CharField(max_length=16)
    person_email = pw.CharField(max_length=254, default="")
    label = pw.CharField(max_length=200, default="")
    pinned_at = pw.DateTimeField(default=utcnow)
    pinned_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    pinned_by_email = pw.CharField(max_length=254, default="")
    pinned_via = pw.CharField(max_length=200, default="")
    revoked_at = pw.DateTimeField(null=True)
    revoked_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    revoked_by_email = pw.CharField(max_length=254, default="")
    last_in = pw.IntegerField(default=0)
    last_out = pw.IntegerField(default=0)


# Covering indexes for the coordination figures (tmdesk.core.dashboard, funding,
# similarity), declared here so that both engines create them with the tables: a
# scan of these reads narrow index pages instead of whole rows with their texts,
# and each is in the order its query groups by, so nothing is sorted.
# Projects by status, category, priority, oblast: the pipeline and the gaps.
Project.add_index(
    pw.ModelIndex(
        Project,
        (
            Project.status,
            Project.category,
            Project.priority,
            Project.oblast,
            Project.recipient,
            Project.budget_currency,
            Project.budget_amount,
            Project.tlp,
            Project.published_at,
            Project.submitted_at,
        ),
        name="project_dashboard",
    )
)
# Projects by recipient (and category): the gap by recipient, and the same
# recipient's projects in a category (similarity's quick check).
Project.add_index(
    pw.ModelIndex(
        Project,
        (
            Project.recipient,
            Project.category,
            Project.status,
            Project.budget_currency,
            Project.budget_amount,
            Project.tlp,
            Project.published_at,
            Project.submitted_at,
        ),
        name="project_by_recipient",
    )
)
# A project's pledges (status last so that a status filter does not split the seek).
Pledge.add_index(
    pw.ModelIndex(
        Pledge,
        (Pledge.project, Pledge.currency, Pledge.amount, Pledge.status),
        name="pledge_funding",
    )
)
# Pledges by donor, status and currency: the donors' table.
Pledge.add_index(
    pw.ModelIndex(
        Pledge,
        (Pledge.donor, Pledge.status, Pledge.currency, Pledge.amount, Pledge.project),
        name="pledge_by_donor",
    )
)


# --- exchange between desks and the office (issue #14, schema version 6) ---


class ChangeLog(BaseModel):
    """One audited write, in order: the office's cursor for "what changed since".

    ``seq`` only grows; a desk's cursor is the last ``seq`` it has pulled. The
    row names the project the change belongs to (None for records outside any
    project, such as offers), so the office can decide visibility per project.
    """

    seq = pw.BigAutoField()
    entity_type = pw.CharField(max_length=32)
    entity_uid = pw.CharField(max_length=36, null=True)
    project_id = pw.IntegerField(null=True, index=True)
    at = pw.DateTimeField(default=utcnow)


class RefAlias(BaseModel):
    """A reference a project was once known by (a desk's provisional ref before the
    office issued ``TM-YYYY-NNNN``), so links and API calls using it keep working."""

    ref = pw.CharField(primary_key=True, max_length=40)
    project = pw.ForeignKeyField(Project, backref="ref_aliases", on_delete="CASCADE")


class DeskLink(BaseModel):
    """On the office: a desk linked for one person, through its own API token.

    Revoking the token (profile page, administrators' pages) unlinks the desk:
    its next sync is refused with 401 and it stops.
    """

    token = pw.ForeignKeyField(ApiToken, backref="desk_links", on_delete="CASCADE", unique=True)
    user = pw.ForeignKeyField(User, backref="desk_links", on_delete="CASCADE")
    desk_name = pw.CharField(max_length=100, default="")
    created_at = pw.DateTimeField(default=utcnow)
    last_sync_at = pw.DateTimeField(null=True)


class DeskHolding(BaseModel):
    """On the office: a project a linked desk holds, so that when it leaves the
    person's view the next pull tells the desk to remove it."""

    link = pw.ForeignKeyField(DeskLink, backref="holdings", on_delete="CASCADE")
    project_uid = pw.CharField(max_length=36)

    class Meta:
        indexes = ((("link", "project_uid"), True),)


class AppliedAction(BaseModel):
    """On the office: every pushed action by its idempotency key, with the answer
    it got, so a replay is answered the same and applied only once."""

    key = pw.CharField(primary_key=True, max_length=64)
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    kind = pw.CharField(max_length=40)
    outcome = pw.TextField()  # JSON
    applied_at = pw.DateTimeField(default=utcnow)


class OfficeLink(BaseModel):
    """On a desk: the office it is linked to (at most one row)."""

    office_url = pw.CharField(max_length=500)
    token = pw.CharField(max_length=200)
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    cursor = pw.CharField(max_length=64, default="")
    linked_at = pw.DateTimeField(default=utcnow)
    last_sync_at = pw.DateTimeField(null=True)
    last_attempt_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(default="")
    #: Set when the office refused the desk's token: the desk stops syncing.
    revoked_at = pw.DateTimeField(null=True)


class OutboxAction(BaseModel):
    """On a desk: an action applied locally and queued for the office, in order.

    ``state``: pending → done, or refused (kept with the office's ``reason`` and
    the person's local version in ``local_copy`` until redone or discarded).
    """

    key = pw.CharField(unique=True, max_length=64)
    kind = pw.CharField(max_length=40)
    entity_uid = pw.CharField(max_length=36)
    payload = pw.TextField()  # JSON
    state = pw.CharField(max_length=12, default="pending", index=True)
    http_status = pw.IntegerField(null=True)
    reason = pw.TextField(default="")
    local_copy = pw.TextField(null=True)  # JSON
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)
    answered_at = pw.DateTimeField(null=True)


#: The tables of the exchange (created by the schema version 6 step).
SYNC_MODELS: list[type[BaseModel]] = [
    ChangeLog,
    RefAlias,
    DeskLink,
    DeskHolding,
    AppliedAction,
    OfficeLink,
    OutboxAction,
]


class PledgeField(BaseModel):
    """One of a donor's own fields on one of its pledges (a project number, a CRS id,
    a flow type…): declared by plugins (``tmdesk_donor_fields``), so a partner adds
    a field without a schema change. ``value`` is the checked value as text
    (:func:`tmdesk.core.typed.to_text`). Schema version 8."""

    pledge = pw.ForeignKeyField(Pledge, backref="donor_fields", on_delete="CASCADE")
    name = pw.CharField(max_length=64)
    value = pw.TextField()
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("pledge", "name"), True),)


class ReportSetting(BaseModel):
    """An organisation's saved value of a format's setting (e.g. its agency code),
    filled in whenever someone of that organisation makes the report. Schema version 8."""

    organisation = pw.ForeignKeyField(Organisation, backref="+", on_delete="CASCADE")
    format_name = pw.CharField(max_length=64)
    name = pw.CharField(max_length=64)
    value = pw.TextField()
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organisation", "format_name", "name"), True),)


class Notification(BaseModel):
    """Something that happened which one person should hear about (issue #15).

    It stores no text: what it says is written when it is shown, from ``kind``
    and the records it points to, and only if the reader may still see them
    (:mod:`tmdesk.core.notifications`). ``emailed_at`` is set once the e-mail
    digest has carried it.
    """

    #: Names it in the "mark as read" form (schema version 12): every person's
    #: notifications share one id sequence, which would count the others'.
    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    user = pw.ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    kind = pw.CharField(max_length=32)
    project = pw.ForeignKeyField(Project, null=True, backref="+", on_delete="CASCADE")
    pledge = pw.ForeignKeyField(Pledge, null=True, backref="+", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)
    read_at = pw.DateTimeField(null=True)
    emailed_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "read_at"), False),)


#: Every table, in creation order (foreign keys point backwards).
ALL_MODELS: list[type[BaseModel]] = [
    Meta,
    Organisation,
    User,
    ApiToken,
    Project,
    ProjectMember,
    StatusChange,
    Offer,
    OfferLink,
    Pledge,
    Engagement,
    Update,
    Document,
    ExchangeRate,
    AuditEvent,
    ProjectLink,
    PluginApproval,
    TrustedKey,
    *SYNC_MODELS,
    PledgeField,
    ReportSetting,
    DatedRate,
    Transaction,
    UserSession,
    AccountChange,
    Notification,
]
