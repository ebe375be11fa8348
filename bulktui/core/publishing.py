"""Handing snapshots to listeners: only when something a user can see changed, to each
listener in turn, and a listener that raises never stops the poller or the others."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable

from bulktui.core.snapshot import Snapshot

log = logging.getLogger(__name__)

Listener = Callable[[Snapshot], None]


class Publisher:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._key: Hashable | None = None
        self.last: Snapshot | None = None

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every published snapshot, synchronously in the poller's
        event loop: it must be cheap (post a message). Returns a function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def same_as_last(self, key: Hashable) -> bool:
        return key == self._key

    def publish(self, snapshot: Snapshot, key: Hashable) -> None:
        self._key = key
        self.last = snapshot
        for listener in tuple(self._listeners):
            try:
                listener(snapshot)
            except Exception:  # a broken listener must not stop polling
                log.exception("snapshot listener %r failed", listener)
