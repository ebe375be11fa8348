"""Making server text safe to show: the one safe-text path for every command and screen.

Every character a terminal might act on rather than draw becomes a visible escape:

- C0 and C1 controls and DEL (ESC, CSI, OSC, BEL, U+0085, U+009B, …);
- Unicode format characters (category Cf): bidi overrides and isolates (U+202A–U+202E,
  U+2066–U+2069), which can reverse a column on a bidi-capable terminal, and the zero-width
  ones (U+200B, U+200D, U+2060, U+FEFF), which hide or join text;
- the line and paragraph separators (U+2028, U+2029);
- lone surrogates (``\\ud800``), which cannot be encoded at all and used to end a command.

The character class is a literal table (building it from ``unicodedata`` at import costs a
third of a second of start-up); ``tests/cli/test_output_text.py`` checks it against every Cf
character the running Python knows, so a newer Unicode cannot slip past unnoticed.
"""

from __future__ import annotations

import re

_ESCAPED = re.compile(
    "["
    "\x00-\x1f\x7f-\x9f"  # C0, DEL, C1
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"  # Cf
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"  # Cf: bidi, ZW
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"  # Cf
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"  # Cf: music, tags
    "\u2028\u2029"  # line and paragraph separators
    "\ud800-\udfff"  # lone surrogates
    "]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """Every control, format character and lone surrogate as a visible escape:
    ESC[31m shows as ``\\x1b[31m``, a right-to-left override as ``\\u202e``."""
    return _ESCAPED.sub(_escape, text)


def is_safe(text: str) -> bool:
    """Whether ``printable`` would leave the text as it is."""
    return _ESCAPED.search(text) is None


def one_line(text: str) -> str:
    """Whitespace folded to single spaces, controls and format characters made visible."""
    return printable(" ".join(text.split()))


def counted(value: int, noun: str) -> str:
    """``1 job``, ``2 jobs``, ``10,000 jobs``: a whole count and its noun, singular for one
    (``noun`` is the plural; the singular drops its last ``s``). Words every command and
    screen share, so "1 jobs" is fixed once."""
    return f"{value:,} {noun if value != 1 else noun[:-1]}"


CUT_MARK = "…"


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, a cut marked with ``CUT_MARK``: a server's words for one
    line of screen, an error message, a table cell."""
    return text if len(text) <= limit else text[: limit - len(CUT_MARK)] + CUT_MARK
