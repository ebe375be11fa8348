"""Sorting the errors a cycle can meet into what the poller does next and what the user reads.

Three kinds matter:
- transient (network, 5xx, a maintenance page, a garbled body): keep the data, retry with
  back-off;
- quota (the org's API limit): stop spending calls, probe slowly;
- authentication (the client's re-auth hook already failed): stop, retry rarely so the login
  endpoint is not flooded.
Anything else from a single job (a permission refusal) is that job's problem, not the link's.
"""

from __future__ import annotations

from enum import Enum

from bulktui.api.errors import (
    ApiError,
    BulkError,
    InvalidSessionError,
    JobNotFoundError,
    QuotaExceededError,
    ReauthenticationError,
    ResponseFormatError,
    TransportError,
)
from bulktui.api.ids import InvalidIdError
from bulktui.api.redact import safe_message


class FaultKind(Enum):
    TRANSIENT = "transient"
    QUOTA = "quota"
    AUTH = "auth"
    OTHER = "other"  # a definite refusal of one request (4xx): not worth retrying as is


class FatalFault(Exception):
    """Carries a quota or authentication error out of a worker pool: the cycle stops."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def is_bulk_error(error: BaseException) -> bool:
    """An error the API layer raises on purpose (as opposed to a bug)."""
    return isinstance(error, BulkError | InvalidIdError)


def classify(error: BaseException) -> FaultKind:
    if isinstance(error, QuotaExceededError):
        return FaultKind.QUOTA
    if isinstance(error, InvalidSessionError | ReauthenticationError):
        return FaultKind.AUTH
    # A raw OSError means a transport let a socket error through unwrapped (in-process ASGI
    # transports do): still the network, not a bug.
    if isinstance(error, TransportError | ResponseFormatError | OSError):
        return FaultKind.TRANSIENT
    if isinstance(error, ApiError):
        return FaultKind.TRANSIENT if error.status >= 500 else FaultKind.OTHER
    return FaultKind.OTHER


def is_missing_job(error: BaseException) -> bool:
    """The job id is unknown to the server: 1.0 InvalidJob, 2.0/REST NOT_FOUND."""
    if isinstance(error, JobNotFoundError):
        return True
    return isinstance(error, ApiError) and (
        error.is_code("InvalidJob", "NOT_FOUND") or error.status == 404
    )


def describe(error: BaseException) -> str:
    """What failed, in one line of plain words (server text made safe)."""
    # safe_message: a session id the server echoed is masked on the console's problem line too.
    detail = safe_message(str(error)) if isinstance(error, BulkError) else type(error).__name__
    if isinstance(error, OSError):
        detail = safe_message(f"{type(error).__name__}: {error}".rstrip(": "))
    if isinstance(error, TransportError | OSError):
        return f"Salesforce is unreachable or unavailable ({detail})"
    if isinstance(error, ResponseFormatError):
        return f"Salesforce sent an answer that could not be read ({detail})"
    if isinstance(error, ApiError) and error.status >= 500:
        return f"Salesforce answered with a server error (HTTP {error.status}: {detail})"
    return detail


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def problem_text(kind: FaultKind, error: BaseException, retry_in: float) -> str:
    """What is wrong and what happens next first, the details last: the console shows this on
    one line, and a narrow terminal cuts the end off."""
    when = _duration(retry_in)
    if kind is FaultKind.QUOTA:
        return (
            f"The org's API request limit is reached; refreshing has slowed down to checking "
            f"again every {when} ({describe(error)})."
        )
    if kind is FaultKind.AUTH:
        if isinstance(error, ReauthenticationError) and error.says_fix:
            # Its words end with the fix (a fresh session id, or the exact login command):
            # "bulktui login" beside "sf org login web" would contradict them.
            fix = describe(error)
            return (
                f"The session has expired and could not be renewed; trying again every {when}. "
                f"{fix[:1].upper()}{fix[1:]}"
            )
        return (
            f"The session has expired and could not be renewed. Log in again (bulktui login); "
            f"trying again every {when}. ({describe(error)})"
        )
    return f"Refresh failed, retrying in {when}: {describe(error)}."
