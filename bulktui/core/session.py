"""A watching session from the command line's choices: the live backend, its journal and its
API budget, built in one place so the console and any headless watcher agree.

The journal itself is opened by ``bulktui.cli.history_cmd.journal_for_args`` (it reads
``--journal``, ``--no-journal`` and ``BULKTUI_JOURNAL``); this module adds ``--api-budget N``
and puts the parts together. No Textual here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bulktui.core.budget import ApiBudget, add_budget_option, api_budget_arg
from bulktui.core.clock import Clock, Sleep, SystemClock, real_sleep
from bulktui.core.config import PollerConfig
from bulktui.core.live import ConsoleClient, LiveBackend, SessionJournal

__all__ = ["add_budget_option", "api_budget_arg", "open_live_backend"]


def open_live_backend(
    client: ConsoleClient,
    *,
    instance_url: str,
    journal: SessionJournal | None = None,
    api_budget: int | None = None,
    org_id: str | None = None,
    interval: float | None = None,
    config: PollerConfig | None = None,
    read_only: bool = False,
    clock: Clock | None = None,
    sleep: Sleep = real_sleep,
    on_close: Callable[[], Awaitable[None] | None] | None = None,
) -> LiveBackend:
    """A ``LiveBackend`` with its journal (preloaded at ``run()``, fed every snapshot and
    action, pruned off the hot path, closed by ``aclose()``) and an ``ApiBudget``:
    ``api_budget`` requests an hour (``--api-budget N``), else derived from the org's daily
    limit as ``Sforce-Limit-Info`` reports it (docs/journal.md, "The API budget").

    ``org_id``: the org's id when the caller knows it (the journal then preloads only that
    org's jobs); None is right for the default journal, which is one file per org."""
    clock = clock or SystemClock()
    budget = ApiBudget(api_budget, clock)
    budget.observe_usage(client.api_usage)
    base = config or PollerConfig()
    return LiveBackend(
        client,
        instance_url=instance_url,
        interval=interval,
        config=replace(base, budget=budget),
        clock=clock,
        sleep=sleep,
        read_only=read_only,
        on_close=on_close,
        journal=journal,
        org_id=org_id,
    )
