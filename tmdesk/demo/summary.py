"""What a demo load created, and the demo logins (the one password of every demo account)."""

from __future__ import annotations

from dataclasses import dataclass

from tmdesk.demo.content import USERS

#: The one password of every demo account (printed by ``tmdesk demo``, in the README).
DEMO_PASSWORD = "demo-password-2026"  # nosec B105: the demo data set's published password (tmdesk demo, README)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    organisation: str


@dataclass
class DemoSummary:
    """What :func:`load_demo` created, and how to log in."""

    counts: dict[str, int]
    logins: list[DemoLogin]
    password: str = DEMO_PASSWORD
    seconds: float = 0.0

    def describe(self) -> str:
        c = self.counts
        lines = [
            "Demo data loaded: {organisations} organisations, {users} users, {projects} "
            "projects, {pledges} pledges, {offers} offers, {engagements} engagements, "
            "{updates} updates, {documents} documents.".format(**c),
            "",
            f"Demo logins (the password of every demo account is {self.password}):",
        ]
        width = max(len(login.role) for login in self.logins)
        for login in self.logins:
            lines.append(f"  {login.role:<{width}}  {login.email}")
        return "\n".join(lines)


#: The demo logins, for the README and the tests.
DEMO_LOGINS: tuple[DemoLogin, ...] = tuple(
    DemoLogin(spec.role, spec.email, spec.org) for spec in USERS if spec.role
)
