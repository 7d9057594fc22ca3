"""The manager's vocabulary: load order of the built-ins, names, limits, the
errors a report can end in, and :class:`PluginInfo`, the record of one plugin."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tmdesk.core.i18n import N_
from tmdesk.core.typed import TypedValueError
from tmdesk.plugins.contract import ReportError

PROJECT_NAME = "tmdesk"
ENTRY_POINT_GROUP = "tmdesk"

#: The built-in plugins, imported by name, in load order.
BUILTIN_MODULES: tuple[str, ...] = (
    "tmdesk.plugins.builtin.tabular",
    "tmdesk.plugins.builtin.iati",
    "tmdesk.plugins.builtin.briefing_pack",
    "tmdesk.plugins.builtin.ministry_report",
)

#: Inside the plugins folder: approved wheels, copied under their SHA-256.
APPROVED_WHEELS = ".approved"

FORMAT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_OPTION_LENGTH = 200


class OptionError(ReportError):
    """An option value was not accepted; ``fields`` maps option names to messages.

    (:class:`ReportError` itself is the contract's: a report could not be made,
    nothing was written, the message says why.)
    """

    def __init__(self, fields: dict[str, str | TypedValueError]) -> None:
        super().__init__(
            N_("Some report options are not valid: %(details)s"),
            details="; ".join(f"{k}: {v}" for k, v in fields.items()),
        )
        self.fields = {k: str(v) for k, v in fields.items()}
        #: The messages marked for translation, with their parameters, where tmdesk
        #: has them (the type checks): ``name -> (message, params)``.
        self.marked = {
            k: (v.message, v.params) for k, v in fields.items() if isinstance(v, TypedValueError)
        }


class RenderFailed(ReportError):
    """The format's render raised: a fault in the plugin, not in the request."""

    http_status = 500


@dataclass
class PluginInfo:
    """What the Plugins page and ``tmdesk plugins`` show about one plugin."""

    name: str
    version: str
    source: str  # "builtin" | "entry point" | "file"
    path: str
    formats: list[str] = field(default_factory=list)
    #: "ok" | "failed" | "pending" (never approved) | "changed" (differs from the pin)
    #: | "duplicate" (the same plugin is loaded from another copy: ``duplicate_of``)
    status: str = "ok"
    error: str = ""
    #: For a file in the plugins folder: its name, its SHA-256 now, and the one approved.
    file_name: str = ""
    sha256: str = ""
    approved_sha256: str = ""
    #: Non-fatal findings, e.g. a format ignored because its name was taken.
    warnings: list[str] = field(default_factory=list)
    #: The last failure's traceback, for the plugin's author.
    traceback: str = ""
    #: For a copy not loaded because the same plugin is loaded already: which copy won.
    duplicate_of: str = ""
    #: The donors' own fields the plugin declared.
    donor_fields: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def awaiting_approval(self) -> bool:
        """A plugins-folder file held back until an administrator approves it."""
        return self.status in ("pending", "changed")
