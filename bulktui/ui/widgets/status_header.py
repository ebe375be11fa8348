"""The one-line header: who and where, API usage, link state as a word, and data age.

Each part is its own ``Static`` updated with ``layout=False`` and only when its text changes, so
an idle console writes nothing to the terminal (textual-notes §5.1: about 300 bytes per update).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal

from bulktui.core.snapshot import LinkState, PollStatus, Snapshot
from bulktui.ui import format as fmt
from bulktui.ui.widgets.quiet import QuietStatic


def instance_host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port else host


class StatusHeader(Horizontal):
    """bulktui · user · instance ……… api 1,234/15,000 · ● live · 3s ago"""

    def __init__(
        self,
        *,
        instance_url: str,
        now: Callable[[], datetime],
        read_only: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.instance_url = instance_url
        self.now = now
        self.read_only = read_only
        self._snapshot: Snapshot | None = None
        self._status: PollStatus | None = None
        self.paused_override: LinkState | None = None  # shows "paused" before the poller says so

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="hdr-who")
        if self.read_only:
            yield QuietStatic(id="hdr-ro")
        yield QuietStatic(id="hdr-api")
        yield QuietStatic(id="hdr-link")
        yield QuietStatic(id="hdr-age")

    def on_mount(self) -> None:
        if self.read_only:
            self.query_one("#hdr-ro", QuietStatic).show(Text("read-only"))
        self._render_who(None)
        self._render_link()

    def apply_snapshot(self, snapshot: Snapshot, status: PollStatus | None = None) -> None:
        """Who the user is comes from the snapshot; link, usage and age from the status."""
        self._snapshot = snapshot
        self._render_who(snapshot)
        self.apply_status(status or _status_of(snapshot))

    def apply_status(self, status: PollStatus) -> None:
        self._status = status
        usage = status.api_usage
        api = f"api {usage.used:,}/{usage.limit:,}" if usage else ""
        self.query_one("#hdr-api", QuietStatic).show(Text(api))
        self._render_link()
        self.refresh_age()

    def _render_who(self, snapshot: Snapshot | None) -> None:
        who = Text("bulktui", style="bold")
        identity = snapshot.identity if snapshot else None
        if identity is not None:
            who.append("  ")
            who.append(fmt.safe(identity.display_name or identity.username))
            if identity.username and identity.display_name:
                who.append(f" ({fmt.safe(identity.username)})", style="dim")
        who.append("  ")
        who.append(fmt.safe(instance_host(self.instance_url)), style="dim")
        if identity is not None and identity.org_id:
            who.append(f"  org {fmt.safe(identity.org_id)}", style="dim")
        self.query_one("#hdr-who", QuietStatic).show(who)

    def _render_link(self) -> None:
        part = self.query_one("#hdr-link", QuietStatic)
        status = self._status
        if status is None:
            if part.show(Text("… connecting")):
                part.set_classes("link-connecting")
            return
        link = self.paused_override or status.link
        if part.show(Text(f"{fmt.LINK_GLYPHS.get(link, '?')} {link.value}")):
            part.set_classes(f"link-{link.value}")

    def age_text(self) -> str:
        status = self._status
        if status is None or status.fetched_at is None:
            return "no data yet"
        return fmt.ago(status.fetched_at, self.now())

    def refresh_age(self) -> None:
        self.query_one("#hdr-age", QuietStatic).show(Text(self.age_text()))

    def next_age_change(self) -> float | None:
        status = self._status
        if status is None or status.fetched_at is None:
            return None
        return fmt.next_ago_change(status.fetched_at, self.now())

    def set_paused(self, paused: bool) -> None:
        self.paused_override = LinkState.PAUSED if paused else None
        self._render_link()

    @property
    def link(self) -> LinkState | None:
        if self.paused_override is not None:
            return self.paused_override
        return self._status.link if self._status else None


def _status_of(snapshot: Snapshot) -> PollStatus:
    return PollStatus(
        link=snapshot.link,
        fetched_at=snapshot.fetched_at,
        problem=snapshot.problem,
        api_usage=snapshot.api_usage,
        cycle=snapshot.cycle,
        requests=snapshot.requests,
        next_cycle_at=None,
    )
