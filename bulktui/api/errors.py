"""Typed errors. Every message is one line, safe to show a user, and never holds a secret."""

from __future__ import annotations


class BulkError(Exception):
    """Base of everything the API layer raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ApiError(BulkError):
    """The server answered with an error body: carries the HTTP status and the exceptionCode."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.status = status
        self.code = code
        self.server_message = message

    def is_code(self, *codes: str) -> bool:
        """Case-insensitive match: the docs and WSC disagree on e.g. InvalidXML/InvalidXml."""
        mine = self.code.replace("_", "").lower()
        return any(mine == c.replace("_", "").lower() for c in codes)


class InvalidSessionError(ApiError):
    """1.0: 400 InvalidSessionId; 2.0: 401 INVALID_SESSION_ID."""


class QuotaExceededError(ApiError):
    """ExceededQuota (1.0) or REQUEST_LIMIT_EXCEEDED (REST/2.0)."""


class TransportError(BulkError):
    """No usable answer: connection refused or reset, timeout, or a 5xx/maintenance page."""


class ProxySettingError(TransportError):
    """A proxy variable in the environment (HTTPS_PROXY, ALL_PROXY, …) that cannot be used."""


class ResponseFormatError(BulkError):
    """The body was not what the request expects: HTML, truncated XML, the wrong content type."""


class AmbiguousResultError(BulkError):
    """A non-idempotent request (create job, add batch) may or may not have taken effect."""


class ReauthenticationError(BulkError):
    """The session expired and getting a fresh one failed. ``says_fix``: the message ends with
    what fixes it (the exact login command, or "start again with a fresh session id"), so a
    caller must not add advice of its own that may contradict it."""

    def __init__(self, message: str, *, says_fix: bool = False) -> None:
        super().__init__(message)
        self.says_fix = says_fix


class JobNotFoundError(ApiError):
    """No endpoint knows the job id (1.0, 2.0 ingest and 2.0 query all said so): the job never
    existed in this org or was purged. Raised only when every endpoint asked said "not found"."""
