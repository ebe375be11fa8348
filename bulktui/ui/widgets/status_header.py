"""The one-line header: who and where, API usage, link state as a word, and data age.

Each part is its own ``Static`` updated with ``layout=False`` and only when its text changes, so
an idle console writes nothing to the terminal (docs/textual-notes.md: a few hundred bytes per
update). The header watches the app's reactive ``snapshot``, ``status`` and ``paused`` itself,
so every screen that shows one is current without being told.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlsplit

from rich.cells import cell_len
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

    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $panel; color: $foreground; }
    StatusHeader QuietStatic { width: auto; height: 1; padding: 0 1; }
    StatusHeader #hdr-who { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusHeader #hdr-ro { background: $warning; color: $background; text-style: bold; }
    StatusHeader #hdr-guards { text-style: bold; padding: 0 1; }
    StatusHeader #hdr-guards.-armed { background: $error; color: $background; }
    StatusHeader #hdr-age { width: 13; content-align: right middle; }
    StatusHeader #hdr-link { text-style: bold; width: auto; min-width: 12; }
    StatusHeader #hdr-link.link-live { color: $link-live; }
    StatusHeader #hdr-link.link-paused { color: $link-paused; }
    StatusHeader #hdr-link.link-degraded { color: $link-degraded; }
    StatusHeader #hdr-link.link-stale { color: $link-stale; text-style: bold reverse; }
    App:ansi StatusHeader { text-style: reverse; }
    App:nocolor StatusHeader { text-style: reverse; }
    """

    # What the app publishes as reactive attributes (ConsoleApp); absent on other apps.
    WATCHED: ClassVar[tuple[str, ...]] = ("snapshot", "status", "paused")
    # Columns the CSS above gives: each part's padding, the link's minimum, the age's width,
    # and what the title keeps however narrow ("bulktui" cut to "b…" and its padding).
    PADDING: ClassVar[int] = 2
    LINK_AT_LEAST: ClassVar[int] = 12
    AGE_WIDTH: ClassVar[int] = 13
    WHO_AT_LEAST: ClassVar[int] = 4

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
        self._api: tuple[str, str] = ("", "")  # the usage part: its words, its short form
        self.paused_override: LinkState | None = None  # shows "paused" before the poller says so

    def compose(self) -> ComposeResult:
        yield QuietStatic(id="hdr-who")
        if self.read_only:
            yield QuietStatic(id="hdr-ro")
        if self._guards_words() is not None:
            yield QuietStatic(id="hdr-guards")
        yield QuietStatic(id="hdr-api")
        yield QuietStatic(id="hdr-link")
        yield QuietStatic(id="hdr-age")

    def on_mount(self) -> None:
        if self.read_only:
            self.query_one("#hdr-ro", QuietStatic).show(Text("read-only"))
        words = self._guards_words()
        if words is not None:
            guards = self.query_one("#hdr-guards", QuietStatic)
            guards.set_class(words == "guards armed", "-armed")
            guards.show(Text(words))
        self._render_who(None)
        self._render_link()
        app = self.app
        if all(hasattr(app, name) for name in self.WATCHED):
            self.watch(app, "snapshot", self._snapshot_changed)
            self.watch(app, "status", self._status_changed)
            self.watch(app, "paused", self.set_paused)

    def _guards_words(self) -> str | None:
        """"guards armed" / "guards not armed" / "guards: dry run" while rules are loaded (the
        app's ``guards_words``), in words: never by colour alone."""
        words = getattr(self.app, "guards_words", None)
        return words if isinstance(words, str) else None

    def _snapshot_changed(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self._snapshot = snapshot
            self._render_who(snapshot)
            if self._status is None:
                self.apply_status(_status_of(snapshot))

    def _status_changed(self, status: PollStatus | None) -> None:
        if status is not None:
            self.apply_status(status)

    def apply_snapshot(self, snapshot: Snapshot, status: PollStatus | None = None) -> None:
        """Who the user is comes from the snapshot; link, usage and age from the status."""
        self._snapshot = snapshot
        self._render_who(snapshot)
        self.apply_status(status or _status_of(snapshot))

    def apply_status(self, status: PollStatus) -> None:
        self._status = status
        usage = status.api_usage
        org = f"api {usage.used:,}/{usage.limit:,}" if usage else ""
        # Absent on a status from before there was a budget (a test's or an older poller's).
        ours = getattr(status, "budget_compact", None)
        ours_short = getattr(status, "budget_short", None) or ours
        self._api = (_beside(org, ours), _beside(org, ours_short))
        self._render_link()
        self.refresh_age()

    def on_resize(self) -> None:
        self._render_link()

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
        """The link state and the usage, in the longest words that fit: the link state and
        the data's age are never cut off. When the header is narrow, the link first drops
        what the age already says ("from the journal": the age reads "journal 35s"), then
        bulktui's spend takes its short form ("us 420/469/h")."""
        part = self.query_one("#hdr-link", QuietStatic)
        status = self._status
        if status is None:
            if part.show(Text("… connecting")):
                part.set_classes("link-connecting")
            return
        link = self.paused_override or status.link
        api, api_short = self._api
        long_words, short_words = link_words(status, link), link_words(status, link, short=True)
        choices = ((api, long_words), (api, short_words), (api_short, short_words))
        room = self.size.width - self._fixed_width()
        for api_text, words in choices:
            needed = cell_len(api_text) + max(self.LINK_AT_LEAST, cell_len(words))
            if self.size.width == 0 or needed + 2 * self.PADDING <= room:
                break
        self.query_one("#hdr-api", QuietStatic).show(Text(api_text))
        if part.show(Text(words)):
            part.set_classes(f"link-{link.value}")

    def _fixed_width(self) -> int:
        """Columns taken whatever the words: the title's least, the age, read-only, guards."""
        width = self.WHO_AT_LEAST + self.AGE_WIDTH
        if self.read_only:
            width += cell_len("read-only") + self.PADDING
        words = self._guards_words()
        if words is not None:
            width += cell_len(words) + self.PADDING
        return width

    def age_text(self) -> str:
        status = self._status
        if status is None:
            return "no data yet"
        if status.fetched_at is None:
            # Before the first answer of this session the data may come from the journal.
            as_of = getattr(status, "source_as_of", None)  # absent on a poller without one
            if isinstance(as_of, datetime):
                return f"journal {fmt.ago(as_of, self.now(), short=True)}"
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


def link_words(status: PollStatus, link: LinkState, *, short: bool = False) -> str:
    """The link as a glyph and a word, and where the data on screen comes from when it is not
    the live org (a poller that knows says ``source``; one that does not is read as live).
    ``short`` leaves the source to the age beside it ("journal 35s")."""
    source = getattr(status, "source", None)  # absent on a poller that has no journal
    if source == "journal" and link is LinkState.LIVE:
        # Nothing has come from Salesforce yet: the table is the journal's, so not "live".
        if short:
            return f"{fmt.LOADING_GLYPH} waiting"
        return f"{fmt.LOADING_GLYPH} waiting for Salesforce · from the journal"
    words = f"{fmt.LINK_GLYPHS.get(link, '?')} {link.value}"
    if source == "journal" and link is not LinkState.PAUSED and not short:
        words += " · from the journal"
    return words


def _beside(org: str, ours: str | None) -> str:
    """The org's usage with bulktui's own spend beside it: "api 160/15,000 (us 34/469 an
    hour)"; either alone when the other is unknown."""
    if not ours:
        return org
    return f"{org} ({ours})" if org else ours


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
