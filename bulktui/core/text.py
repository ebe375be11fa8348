"""Making server text safe to show: one line, no terminal escapes or control characters."""

from __future__ import annotations

import re

# C0 and C1 controls (ESC, CSI, OSC, BEL, …) except nothing: tabs and newlines are folded too.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Replace every control character with a visible escape, so ESC[31m shows as ``\\x1b[31m``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def one_line(text: str) -> str:
    """Whitespace folded to single spaces, controls made visible."""
    return printable(" ".join(text.split()))
