"""Where tmdesk keeps its data: one folder per installation.

``--data-dir`` wins, then ``TMDESK_DATA_DIR``, then the user's data folder
from platformdirs (``%LOCALAPPDATA%\\tmdesk`` on Windows,
``~/Library/Application Support/tmdesk`` on macOS, ``~/.local/share/tmdesk``
on Linux). Logs go to the platform's log folder (or ``TMDESK_LOG_DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from tmdesk import settings

APP_NAME = "tmdesk"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data folder to use (not created here)."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = settings.DATA_DIR.get()
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) if needed; a folder created here is
    readable by its owner only (0700 on POSIX; on Windows the user's profile
    folders are private already). An existing folder keeps its permissions."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    """The log folder: ``TMDESK_LOG_DIR`` if set, else the platform's user log folder."""
    env = settings.LOG_DIR.get()
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def documents_dir(base: Path) -> Path:
    """Uploaded files: outside any static folder, served only through checked routes.
    ``TMDESK_DOCUMENTS_DIR`` puts them elsewhere (one folder several servers share)."""
    env = settings.DOCUMENTS_DIR.get()
    if env:
        return Path(env).expanduser().resolve()
    return base / "documents"


def plugins_dir(base: Path) -> Path:
    """Partner plugin files (``.py`` and wheels) loaded after installed plugins."""
    return base / "plugins"


def backups_dir(base: Path) -> Path:
    """Automatic, manual and before-upgrade copies of the database."""
    return base / "backups"


def secret_key_file(base: Path) -> Path:
    """The installation's session-signing secret (created once, user-only);
    ``TMDESK_SECRET_KEY_FILE`` names one file several servers share."""
    env = settings.SECRET_KEY_FILE.get()
    if env:
        return Path(env).expanduser().resolve()
    return base / "secret_key"
