"""Messages the workers post to the app. Past-tense events; workers do nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual.message import Message

from bulktui.api.models import JobInfo
from bulktui.core.snapshot import Snapshot

if TYPE_CHECKING:
    from bulktui.core.guards import GuardEvent


class JobsRefreshed(Message):
    """The poller published a new snapshot. Only the newest pending one is kept."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, JobsRefreshed)


class PollerStopped(Message):
    """The polling loop ended with an error it could not handle itself."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class JobActionSucceeded(Message):
    """Close, abort or create went through; ``job`` is what the server answered and ``text``
    says so in plain words."""

    action = ""

    def __init__(self, job: JobInfo, text: str) -> None:
        super().__init__()
        self.job = job
        self.text = text


class JobClosed(JobActionSucceeded):
    action = "close"


class JobAborted(JobActionSucceeded):
    action = "abort"


class JobCreated(JobActionSucceeded):
    action = "create"


class ActionFailed(Message):
    """An action did not go through, or may not have. ``reason`` is plain words, shown as is;
    ``uncertain`` when the request may have taken effect (the user must check)."""

    def __init__(
        self, action: str, job_id: str | None, reason: str, *, uncertain: bool = False
    ) -> None:
        super().__init__()
        self.action = action
        self.job_id = job_id
        self.reason = reason
        self.uncertain = uncertain


class JobLookedUp(Message):
    """A job fetched by id (palette), ready for its confirmation dialog."""

    def __init__(self, action: Literal["close", "abort"], job: JobInfo) -> None:
        super().__init__()
        self.action: Literal["close", "abort"] = action
        self.job = job


class Said(Message):
    """A screen has something to tell the user: the status line and the message log."""

    def __init__(
        self, text: str, severity: Literal["information", "warning", "error"] = "information"
    ) -> None:
        super().__init__()
        self.text = text
        self.severity: Literal["information", "warning", "error"] = severity


class GuardEventArrived(Message):
    """A guard rule fired, an armed rule's action ended, or a rule was held back."""

    def __init__(self, event: GuardEvent) -> None:
        super().__init__()
        self.event = event
