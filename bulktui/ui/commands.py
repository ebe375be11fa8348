"""Command palette (ctrl+p): every action, plus "abort job…" / "close job…" by id.

An id typed in the palette is validated with ``bulktui.api.ids`` before anything is sent, and the
action still goes through its confirmation dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Literal, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from bulktui.api import ids

if TYPE_CHECKING:
    from bulktui.ui.app import ConsoleApp

Command = tuple[str, Callable[[], object], str]


class JobCommands(Provider):
    @property
    def console(self) -> ConsoleApp:
        return cast("ConsoleApp", self.app)

    def commands(self) -> list[Command]:
        app = self.console
        return [
            ("Refresh now", app.action_refresh, "r: fetch everything that can change"),
            ("Pause or resume live refresh", app.action_pause, "p"),
            ("Refresh more often", partial(app.action_change_interval, -1), "+"),
            ("Refresh less often", partial(app.action_change_interval, 1), "-"),
            ("Cycle the sort column", app.action_cycle_sort, "s"),
            ("Reverse the sort", app.action_reverse_sort, "S"),
            ("Only my jobs / all jobs", app.action_only_mine, "m"),
            ("Filter jobs", app.action_filter, "/"),
            ("New job", app.action_new_job, "n: create a Bulk API job"),
            ("Close the selected job", app.action_close_job, "c: Open jobs only"),
            ("Abort the selected job", app.action_abort_job, "a: Open or Closed jobs"),
            ("Copy the selected job id", app.action_copy_id, "y: OSC 52"),
            ("Job detail", app.action_open_detail, "enter"),
            ("Show keys", app.action_help, "?"),
            ("Abort job… (by id)", partial(app.ask_job_id, "abort"), "type or paste a job id"),
            ("Close job… (by id)", partial(app.ask_job_id, "close"), "type or paste a job id"),
        ]

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        async for hit in self._by_id(query):
            yield hit

    async def _by_id(self, query: str) -> Hits:
        """``abort 750…`` / ``close job 750…``: the id is checked before the dialog opens."""
        words = query.split()
        if len(words) < 2 or words[0].lower() not in ("abort", "close"):
            return
        action: Literal["close", "abort"] = "abort" if words[0].lower() == "abort" else "close"
        candidate = words[-1]
        if candidate.lower() in ("job", "job…"):
            return
        verb = action.capitalize()
        try:
            job_id = ids.parse_job_id(candidate)
        except ids.InvalidIdError as exc:
            yield Hit(
                1.0,
                Text(f"{verb} job {candidate}: not a job id"),
                partial(self.console.say, str(exc), "error"),
                text=f"{verb} job {candidate}",
                help=str(exc),
            )
            return
        yield Hit(
            1.0,
            Text(f"{verb} job {job_id}…"),
            partial(self.console.confirm_by_id, action, job_id),
            text=f"{verb} job {job_id}",
            help="opens the confirmation dialog",
        )
