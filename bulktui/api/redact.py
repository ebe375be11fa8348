"""Keeping session ids and tokens out of logs and out of every message a user reads.

The client never logs a header value or a body, but messages can still carry secrets by
accident (an exception text quoting a URL, a hook's error, a server that echoes the session
id in its error message). So every record on the ``bulktui.api`` and ``httpx`` loggers passes
through ``RedactingFilter``, and every message shown or printed passes through
``safe_message``: both mask the session-id shapes Salesforce uses and any value registered
with ``register_secret`` (every session id and access token bulktui uses is registered).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping

from bulktui.text import one_line

MASK = "***"
SENSITIVE_HEADERS = frozenset({"authorization", "x-sfdc-session", "cookie", "set-cookie"})

_PATTERNS = (
    # A Salesforce session id / access token: org id, "!", then the opaque part.
    re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._\-]+"),
    # key=value or key: value forms (query strings, form bodies, headers, JSON).
    re.compile(
        r"(?i)(\b(?:sid|session_?id|\w*token|client_secret|password|assertion|"
        r"x-sfdc-session|authorization)\b[\"']?\s*[=:]\s*[\"']?)(?:bearer\s+)?[^\s&\"',;<>]+"
    ),
    re.compile(r"(?i)(\bbearer\s+)[^\s\"',;<>]+"),
    re.compile(r"(?i)(<(?:\w+:)?sessionId>)[^<]*"),
)

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask this exact value wherever it appears (session ids of unusual shape, e.g. the
    emulator's). Short values are ignored: masking "a" everywhere would ruin every log."""
    if value and len(value) >= 8:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


def safe_message(text: str) -> str:
    """A message fit to show a user: secrets masked, then one line of safe text. The CLI's
    error printer and the console's problem and result lines pass every message through it."""
    return one_line(redact(text))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: (MASK if k.lower() in SENSITIVE_HEADERS else redact(v)) for k, v in items}


_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites the record's message with secrets masked (args are merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return True
        cleaned = redact(message)
        if record.exc_info:
            # Handlers format tracebacks later from exc_info, past any filter: format it now,
            # redacted, and drop exc_info (Formatter appends exc_text on its own).
            record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
            record.exc_info = None
        record.msg, record.args = cleaned, None
        return True


_installed = False


def install(logger_names: Iterable[str] = ("bulktui.api", "httpx", "httpcore")) -> None:
    """Attach the filter once per logger, and keep httpx's per-request INFO lines out unless
    someone asked for them explicitly (they name every URL the console polls)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    for name in logger_names:
        logging.getLogger(name).addFilter(RedactingFilter())
    httpx_logger = logging.getLogger("httpx")
    if httpx_logger.level == logging.NOTSET:
        httpx_logger.setLevel(logging.WARNING)
