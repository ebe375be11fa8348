"""Themes from TOML files: the shipped ones, then the user's. A broken file is reported, skipped.

Search order (a later file with the same ``name`` wins):

1. ``bulktui/themes`` inside the package (a wheel: pyproject force-includes ``themes/`` there);
2. the repository's top-level ``themes/`` (an editable install);
3. ``<user config dir>/bulktui/themes`` (platformdirs), for the user's own.

A file holds the fields of ``textual.theme.Theme``: ``name``, ``primary``, optional colours,
``dark``, ``ansi`` and a ``[variables]`` table.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir
from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "bulktui-dark"

_FIELDS = {f.name for f in fields(Theme)}
_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)

# Variables the stylesheet uses beyond Textual's own. A theme may set them in [variables];
# otherwise they take the value of the Textual variable named here (see ConsoleApp).
VARIABLE_DEFAULTS: dict[str, str] = {
    "job-live": "foreground",
    "job-done": "foreground-muted",
    "job-flag": "error",
    "job-bad": "warning",
    "job-pending": "accent",
    "job-purged": "text-disabled",
    "link-live": "success",
    "link-paused": "warning",
    "link-degraded": "warning",
    "link-stale": "error",
}


def ascii_borders(environ: Mapping[str, str] | None = None) -> bool:
    """Whether to draw borders with ASCII (``+-|``): on the Linux console (``TERM=linux``),
    whose fonts miss some of the lines Textual draws with. Views add a ``-ascii`` class."""
    env = os.environ if environ is None else environ
    return env.get("TERM", "") == "linux"


def with_defaults(variables: dict[str, str]) -> dict[str, str]:
    """``variables`` plus our own, each defaulting to the Textual variable it names."""
    out = dict(variables)
    for name, source in VARIABLE_DEFAULTS.items():
        if name not in out and source in out:
            out[name] = out[source]
    return out


@dataclass
class ThemeLoadResult:
    themes: list[Theme] = field(default_factory=list)
    failures: list[tuple[Path, str]] = field(default_factory=list)


def package_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "themes"


def repo_dir() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "themes").is_dir():
        return root / "themes"
    return None


def user_dir() -> Path:
    return Path(user_config_dir("bulktui")) / "themes"


def theme_dirs() -> list[Path]:
    dirs = [package_dir()]
    repo = repo_dir()
    if repo is not None and repo != dirs[0]:
        dirs.append(repo)
    dirs.append(user_dir())
    return dirs


def parse_theme(data: dict[str, Any], source: str) -> Theme:
    """A Theme from a TOML table; ValueError with one line if it is not a usable theme."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(f"unknown key{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ValueError(f"{key!r} is required (a string)")
    for key in _COLOUR_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"{key}: expected a colour string")
        if not value.startswith("ansi_"):
            try:
                Color.parse(value)
            except ColorParseError:
                raise ValueError(f"{key}: {value!r} is not a colour") from None
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise ValueError("[variables] must map names to strings")
    for name, value in variables.items():
        problem = variable_problem(value)
        if problem:
            raise ValueError(f"[variables] {name}: {value!r} {problem}")
    for key in ("dark", "ansi"):
        if key in data and not isinstance(data[key], bool):
            raise ValueError(f"{key}: expected true or false")
    theme = Theme(**data)
    try:
        theme.to_color_system().generate()
    except Exception as exc:  # Textual raises several types for bad colours
        raise ValueError(f"cannot build the theme: {exc}") from None
    return theme


_TEXT_STYLES = frozenset(
    {"bold", "dim", "italic", "underline", "underline2", "reverse", "strike", "blink", "none"}
)
_OTHER_VALUES = frozenset({"transparent", "auto"})


def variable_problem(value: str) -> str | None:
    """Why a ``[variables]`` value cannot be used, or None: a colour (``#hex``, a name,
    ``ansi_*``, optionally with ``NN%``), a text style (``bold reverse``) or ``transparent``.
    A bad one would stop the whole stylesheet from loading, so the file is skipped instead."""
    words = value.split()
    if not words:
        return "is empty"
    if all(word in _TEXT_STYLES for word in words) or value in _OTHER_VALUES:
        return None
    colour, *rest = words
    if rest and not (len(rest) == 1 and rest[0].endswith("%") and rest[0][:-1].isdigit()):
        return "is not a colour or a text style"
    if colour in _OTHER_VALUES:
        return None
    try:
        Color.parse(colour)
    except ColorParseError:
        return "is not a colour or a text style"
    return None


def load_theme_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    return parse_theme(data, str(path))


def load_themes(dirs: list[Path] | None = None) -> ThemeLoadResult:
    result = ThemeLoadResult()
    by_name: dict[str, Theme] = {}
    for folder in theme_dirs() if dirs is None else dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ValueError as exc:
                result.failures.append((path, str(exc)))
                continue
            by_name[theme.name] = theme
    result.themes = list(by_name.values())
    return result
