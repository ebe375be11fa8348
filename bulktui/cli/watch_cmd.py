"""``bulktui watch``: the poller and the guard rules with no screen, for servers and cron.

One line per event (a rule fired, an action and its outcome, the link degraded or recovered), as
text or JSON lines, flushed at once; a clean exit on SIGTERM or SIGINT. Rules come from
``--rules FILE`` or ``guards.toml`` in bulktui's config directory (docs/guards.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import signal
import sys
from collections.abc import Callable
from typing import Any, TextIO

from bulktui.cli.common import UsageError
from bulktui.cli.connection import add_subcommand_connection_options
from bulktui.cli.history_cmd import add_journal_options
from bulktui.core.budget import add_budget_option
from bulktui.core.config import interval_problem
from bulktui.core.guard_rules import (
    RULES_FILE_NAME,
    RuleFileError,
    RuleSet,
    default_rules_path,
    load_rules_or_default,
)
from bulktui.core.guards import EventKind, GuardEvent, decide_arming
from bulktui.text import counted, one_line


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "watch",
        help="watch the org with guard rules and no screen (for servers, systemd, cron)",
        description="Run the console's poller and guard rules headless. Prints one line per "
        "event; exits cleanly on SIGTERM or SIGINT. Rules: docs/guards.md.",
    )
    add_subcommand_connection_options(parser)
    add_journal_options(parser)
    add_budget_option(parser)
    parser.add_argument(
        "--rules",
        metavar="FILE",
        help=f"rule file (default: {RULES_FILE_NAME} in bulktui's config directory)",
    )
    parser.add_argument(
        "--arm", action="store_true", help="let abort and close rules act (else they only report)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="report what armed rules would do, send nothing"
    )
    parser.add_argument("--json", action="store_true", help="JSON lines instead of text")
    parser.add_argument(
        "--exec",
        metavar="CMD",
        dest="exec_command",
        help="run CMD per event with the event as JSON on stdin (no shell, 30 s timeout)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="poll interval, 1 to 3,600 (default 5)",
    )
    parser.add_argument("--read-only", action="store_true", help="never send abort or close")
    parser.set_defaults(handler=run_watch)


def read_rules(given: str | None) -> RuleSet:
    """The rule file, or UsageError (exit 2) naming the file, the line and what is wrong."""
    try:
        rules = load_rules_or_default(given)
    except RuleFileError as error:
        raise UsageError(str(error)) from None
    if rules is None:
        raise UsageError(
            f"no rule file: write {default_rules_path()} or pass --rules FILE (see docs/guards.md)"
        )
    return rules


def run_watch(args: argparse.Namespace) -> int:
    problem = interval_problem(args.interval)
    if problem is not None:
        raise UsageError(problem)
    rules = read_rules(args.rules)
    if args.exec_command is not None:
        try:
            if not shlex.split(args.exec_command):
                raise UsageError("--exec needs a command")
        except ValueError as error:
            raise UsageError(f"--exec: {one_line(str(error))}") from None
    arming = decide_arming(rules, arm=args.arm, read_only=args.read_only, dry_run=args.dry_run)
    for line in arming.held_back:
        _report(line)
    return asyncio.run(_watch(args, rules))


def _report(text: str) -> None:
    print(f"bulktui: {one_line(text)}", file=sys.stderr, flush=True)


class EventPrinter:
    """One line per event on ``stream``, flushed at once (a pipe to a log shipper sees each
    event when it happens)."""

    def __init__(self, stream: TextIO, *, as_json: bool) -> None:
        self._stream = stream
        self._json = as_json

    def __call__(self, event: GuardEvent) -> None:
        line = json.dumps(event.to_json(), ensure_ascii=True) if self._json else event.to_text()
        try:
            self._stream.write(line + "\n")
            self._stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # a closed stdout must not stop the guards


async def _watch(args: argparse.Namespace, rules: RuleSet) -> int:
    from bulktui.cli.console_cmd import org_backend
    from bulktui.core.clock import SystemClock
    from bulktui.core.guard_session import build_guards
    from bulktui.core.watcher import EventCommand, Watcher

    # The same backend as the console's: the journal records every snapshot and every
    # action (a rule's, with its name) and spares re-reading ended jobs; the budget keeps the
    # watcher within --api-budget.
    live = org_backend(args, _report)

    clock = SystemClock()
    listeners: list[Callable[[GuardEvent], None]] = [EventPrinter(sys.stdout, as_json=args.json)]
    command = EventCommand(args.exec_command, report=_report) if args.exec_command else None
    if command is not None:
        listeners.append(command)
    guards = build_guards(
        rules,
        live,
        arm=args.arm,
        read_only=args.read_only,
        dry_run=args.dry_run,
        clock=clock,
        listeners=listeners,
    )
    stop = asyncio.Event()
    received: list[str] = []
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _stopper(stop, received, signum))
    exec_task = asyncio.create_task(command.run(), name="exec") if command else None
    started = clock.now()
    guards.emit(
        GuardEvent(
            started,
            EventKind.LINK,
            f"watching {one_line(live.instance_url)} every {live.interval:g} s with "
            f"{counted(len(rules.rules), 'rules')} from {rules.source}; {guards.arming.words()}",
        )
    )
    try:
        await Watcher(live, guards).run(stop)
    finally:
        seconds = (clock.now() - started).total_seconds()
        why = f" ({received[0]})" if received else ""
        guards.emit(GuardEvent(clock.now(), EventKind.LINK, f"stopped after {seconds:.0f} s{why}"))
        if command is not None and exec_task is not None:
            command.close()  # the last events (the stop line too) still reach the command
            try:
                await asyncio.wait_for(exec_task, timeout=EXEC_DRAIN_SECONDS)
            except TimeoutError:
                exec_task.cancel()
        await live.aclose()  # closes the journal too
    return 0


EXEC_DRAIN_SECONDS = 35.0


def _stopper(stop: asyncio.Event, received: list[str], signum: int) -> Callable[[], None]:
    def on_signal() -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    return on_signal
