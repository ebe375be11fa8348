"""bulktui's settings file, ``config.toml`` in the config directory (``~/.config/bulktui`` on
Linux), beside ``profiles.toml`` and ``guards.toml``. One setting so far::

    [journal]
    retention_days = 365    # how long the journal keeps a job or an action (default 180)

``BULKTUI_JOURNAL_DAYS`` overrides the file for one run.

A setting that is wrong is refused, never replaced by the default: a retention of 365 days
that fell back to 180 would prune half a year of history the user asked to keep. So an unknown
key (a typo) is an error too, and the error is one line naming the file or the variable.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from bulktui.api.errors import BulkError
from bulktui.core import files
from bulktui.core.journal import DEFAULT_RETENTION
from bulktui.text import one_line

CONFIG_FILE_NAME = "config.toml"
RETENTION_ENV = "BULKTUI_JOURNAL_DAYS"
DEFAULT_RETENTION_DAYS = DEFAULT_RETENTION.days
MAX_RETENTION_DAYS = 36_500  # a hundred years: past that a date sum could overflow
MAX_FILE_BYTES = 100_000  # a settings file is a few lines
_KNOWN = {"journal": frozenset({"retention_days"})}


class SettingsError(BulkError):
    """A setting that cannot be used: one line, naming the file or the variable."""


@dataclass(frozen=True, slots=True)
class Retention:
    """How long the journal keeps a job, and where that came from (for ``journal --info``)."""

    days: int
    source: str  # "default", the variable's name, or the settings file's path


def settings_path() -> Path:
    return platformdirs.user_config_path("bulktui") / CONFIG_FILE_NAME


def journal_retention(environ: Mapping[str, str], path: Path | None = None) -> Retention:
    """``BULKTUI_JOURNAL_DAYS``, else ``[journal] retention_days`` in the settings file (``path``,
    default ``settings_path()``), else 180 days. Raises SettingsError for a bad value or file."""
    raw = environ.get(RETENTION_ENV, "").strip()
    if raw:
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_RETENTION_DAYS:
            raise SettingsError(
                f"{RETENTION_ENV}={raw[:20]!r} is not a number of days "
                f"(1 to {MAX_RETENTION_DAYS:,})"
            )
        return Retention(int(raw), RETENTION_ENV)
    path = settings_path() if path is None else path
    days = load_settings(path).get("journal", {}).get("retention_days")
    if days is None:
        return Retention(DEFAULT_RETENTION_DAYS, "default")
    return Retention(days, str(path))


def load_settings(path: Path) -> dict[str, dict[str, Any]]:
    """The checked settings in ``path``; empty when there is no such file."""
    where = one_line(str(path))
    try:
        text = files.read_config_text(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        return {}
    except files.ConfigFileError as exc:
        raise SettingsError(str(exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{where} is not valid TOML: {one_line(str(exc))}") from None
    for section, value in data.items():
        known = _KNOWN.get(section)
        if known is None:
            names = ", ".join(f"[{name}]" for name in _KNOWN)
            raise SettingsError(f"{where}: unknown section [{one_line(section)[:40]}] ({names})")
        if not isinstance(value, dict):
            raise SettingsError(f"{where}: {one_line(section)} must be a table ([{section}])")
        for key in value:
            if key not in known:
                raise SettingsError(
                    f"{where}: unknown setting {section}.{one_line(key)[:40]} "
                    f"(known: {', '.join(sorted(known))})"
                )
    days = data.get("journal", {}).get("retention_days")
    if days is not None and (
        not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_RETENTION_DAYS
    ):
        raise SettingsError(
            f"{where}: journal.retention_days must be a whole number of days from 1 to "
            f"{MAX_RETENTION_DAYS:,}"
        )
    return data
