"""Moved to :mod:`bulktui.core.live` (it has no Textual in it); this re-export goes once the
console imports from there."""

from bulktui.core.live import Backend, ConsoleClient, LiveBackend, NewJobSpec, SnapshotCallback

__all__ = ["Backend", "ConsoleClient", "LiveBackend", "NewJobSpec", "SnapshotCallback"]
