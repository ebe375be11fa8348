"""The console's message log: the last messages said on the status line, with their time, so
nothing the console says is lost when the next message (or a toast) replaces it."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Severity = Literal["information", "warning", "error"]
LOG_SIZE = 100


@dataclass(frozen=True, slots=True)
class LoggedMessage:
    at: datetime
    text: str
    severity: Severity


class MessageLog:
    """The last ``size`` messages, oldest first."""

    def __init__(self, size: int = LOG_SIZE) -> None:
        self._messages: deque[LoggedMessage] = deque(maxlen=size)

    def add(self, at: datetime, text: str, severity: Severity) -> LoggedMessage:
        message = LoggedMessage(at, text, severity)
        self._messages.append(message)
        return message

    def __iter__(self) -> Iterator[LoggedMessage]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)
