"""Command palette (ctrl+p): bulktui's own commands only, generated from the job list's
bindings, plus "abort job…" / "close job…" by id and the theme.

An entry is offered only when its action can run on the screen the palette was opened from
(no "sort" over a job's detail, no "abort" under ``--read-only``), so none of them fails. An id
typed in the palette is validated with ``bulktui.api.ids`` before anything is sent, and the
action still goes through its confirmation dialog.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, Protocol, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from bulktui.api import ids
from bulktui.ui import keys

Severity = Literal["information", "warning", "error"]


class PaletteHost(Protocol):
    """What the palette needs from the app (``ConsoleApp``), without importing it."""

    def say(self, text: str, severity: Severity = ...) -> None: ...

    def confirm_by_id(self, action: Literal["close", "abort"], job_id: str) -> None: ...

    def can_run(self, action: str, node: DOMNode) -> bool: ...


@dataclass(frozen=True, slots=True)
class Command:
    title: str
    action: str  # a Textual action string, run on the screen the palette was opened from
    help: str


def commands(host: PaletteHost, screen: DOMNode) -> list[Command]:
    """The entries that can run now, from the bindings (title: the tooltip; help: the key)."""
    found = [
        Command(b.tooltip[:1].upper() + b.tooltip[1:], b.action, keys.key_text(b))
        for b in (*keys.COMMAND_BINDINGS, *keys.APP_BINDINGS)
        if b.tooltip and b.id not in ("read-only", "quit-ctrl-c", "app-help", "app-log")
    ]
    found += [Command(title, action, text) for title, action, text in keys.PALETTE_ONLY]
    return [c for c in found if host.can_run(c.action, screen)]


class JobCommands(Provider):
    @property
    def host(self) -> PaletteHost:
        return cast(PaletteHost, self.app)

    def _entries(self) -> list[Command]:
        return commands(self.host, self.screen)

    def _runner(self, action: str) -> partial[Coroutine[Any, Any, bool]]:
        return partial(self.app.run_action, action, self.screen)

    async def discover(self) -> Hits:
        for command in self._entries():
            yield DiscoveryHit(command.title, self._runner(command.action), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._entries():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    self._runner(command.action),
                    help=command.help,
                )
        async for hit in self._by_id(query):
            yield hit

    async def _by_id(self, query: str) -> Hits:
        """``abort 750…`` / ``close job 750…``: the id is checked before the dialog opens."""
        words = query.split()
        if len(words) < 2 or words[0].lower() not in ("abort", "close"):
            return
        action: Literal["close", "abort"] = "abort" if words[0].lower() == "abort" else "close"
        if not self.host.can_run(f"app.{action}_job", self.screen):
            return
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
                partial(self.host.say, str(exc), "error"),
                text=f"{verb} job {candidate}",
                help=str(exc),
            )
            return
        yield Hit(
            1.0,
            Text(f"{verb} job {job_id}…"),
            partial(self.host.confirm_by_id, action, job_id),
            text=f"{verb} job {job_id}",
            help="opens the confirmation dialog",
        )
