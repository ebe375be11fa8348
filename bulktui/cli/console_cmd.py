"""``bulktui`` with no subcommand: open the console.

``--demo`` starts the emulator in this process on an ephemeral loopback port with the demo
seed and opens the console on it; quitting stops both. Otherwise the connection comes from
``--instance-url`` and a session id (``BULKTUI_SESSION_ID``, ``--session-id-file``) or a stored
profile. Without a terminal (cron, a pipe) it refuses with exit code 2 and one line; a console
that dies exits non-zero.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bulktui.cli.common import UsageError
from bulktui.core.config import interval_problem

if TYPE_CHECKING:
    from bulktui.core.guard_rules import RuleSet
    from bulktui.core.live import LiveBackend

DEMO_SEED = 7
# The emulator has no org to share its limit with: a budget the demo's cadence never meets.
DEMO_API_BUDGET = 20_000
DEFAULT_THRESHOLD = 0.10


def run_console(args: argparse.Namespace) -> int:
    problem = interval_problem(args.interval)
    if problem is not None:
        raise UsageError(problem)
    threshold = _threshold()
    rules = _rules(args)
    notices: list[str] = []  # said in the console's message log at start
    if args.demo:
        backend = demo_backend(args.interval, read_only=args.read_only)
    else:
        backend = org_backend(args, notices.append)

    from bulktui.ui.app import ConsoleApp
    from bulktui.ui.themes import load_themes

    if args.theme:
        names = {t.name for t in load_themes().themes}
        builtin = _builtin_theme_names()
        if args.theme not in names | builtin:
            _close_quietly(backend)
            available = ", ".join(sorted(names | builtin))
            raise UsageError(f"no theme called {args.theme!r}; available: {available}")
    if not has_terminal():
        _close_quietly(backend)
        raise UsageError(NO_TERMINAL)
    guards = None
    if rules is not None:
        from bulktui.core.guard_session import build_guards

        guards = build_guards(
            rules,
            backend,
            arm=bool(getattr(args, "arm", False)),
            read_only=args.read_only,
            dry_run=bool(getattr(args, "dry_run", False)),
        )
    from bulktui.core.journal import Journal
    from bulktui.core.journal_null import NullJournal

    journal = backend.journal if isinstance(backend.journal, Journal | NullJournal) else None
    app = ConsoleApp(
        backend,
        theme=args.theme,
        read_only=args.read_only,
        threshold=threshold,
        guards=guards,
        journal=journal,
        notices=notices,
    )
    try:
        app.run(mouse=not args.no_mouse)
    finally:
        _close_quietly(backend)
    # Textual keeps 1 here when the app died of an exception (and has printed it): a script or
    # a wrapper must see that the console did not end normally.
    return app.return_code or 0


def _rules(args: argparse.Namespace) -> RuleSet | None:
    """The guard rules: ``--rules FILE``, else guards.toml in the config directory if any."""
    from bulktui.core.guard_rules import RuleFileError, load_rules_or_default

    try:
        return load_rules_or_default(getattr(args, "rules", None))
    except RuleFileError as error:
        raise UsageError(str(error)) from None


NO_TERMINAL = (
    "the console needs a terminal (standard input and output are not one here); from a "
    "script or cron use the one-shot commands: bulktui jobs, show, close, abort, create "
    "(bulktui --help)"
)


def has_terminal() -> bool:
    """Whether the console can draw and read keys: stdin and stdout are a terminal."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # a closed stream
        return False


def _threshold() -> float:
    """``BULKTUI_FAILURE_THRESHOLD``: a fraction (0.1) or a percentage (10 or 10%)."""
    raw = os.environ.get("BULKTUI_FAILURE_THRESHOLD", "").strip()
    if not raw:
        return DEFAULT_THRESHOLD
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise UsageError(f"BULKTUI_FAILURE_THRESHOLD={raw!r} is not a number") from None
    if raw.endswith("%") or value > 1:
        value /= 100
    if not 0 <= value <= 1:
        raise UsageError("BULKTUI_FAILURE_THRESHOLD must be between 0 and 100%")
    return value


def _builtin_theme_names() -> set[str]:
    from textual.theme import BUILTIN_THEMES

    return set(BUILTIN_THEMES)


def org_backend(
    args: argparse.Namespace, on_problem: Callable[[str], None] | None = None
) -> LiveBackend:
    """The org's live backend with its journal (``--journal``, ``--no-journal``,
    ``BULKTUI_JOURNAL``) and API budget (``--api-budget``), for the console and ``watch``. A
    journal that cannot be used is one line to ``on_problem`` (the console says it at start,
    ``watch`` on stderr) and the backend works without it."""
    from bulktui.api.client import BulkClient
    from bulktui.cli.connection import resolve_connection
    from bulktui.cli.history_cmd import journal_for_args
    from bulktui.core.session import open_live_backend

    say = on_problem or (lambda _text: None)
    connection, reauth = resolve_connection(args)
    client = BulkClient(connection, reauthenticate=reauth)
    journal = journal_for_args(args, connection.instance_url, on_problem=say)
    if journal.problem:
        say(journal.problem)
    return open_live_backend(
        client,
        instance_url=connection.instance_url,
        journal=journal,
        api_budget=getattr(args, "api_budget", None),
        interval=args.interval,
        read_only=args.read_only,
    )


def demo_backend(
    interval: float,
    *,
    read_only: bool = False,
    seed: int = DEMO_SEED,
    prepare: Callable[[object], None] | None = None,
) -> LiveBackend:
    """The emulator on 127.0.0.1 with the demo seed, and a backend on it that stops it."""
    from bulktui.api.client import BulkClient
    from bulktui.api.connection import Connection
    from bulktui.core.journal import Journal
    from bulktui.core.session import open_live_backend
    from bulktui.emulator import EmulatorServer, Engine
    from bulktui.emulator.demo import seed_demo

    engine = Engine()
    seed_demo(engine, random.Random(seed))
    if prepare is not None:
        prepare(engine)
    server = EmulatorServer(engine, host="127.0.0.1", port=0)
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        raise UsageError(f"cannot start the demo emulator: {exc}") from None
    client = BulkClient(Connection(server.url, engine.issue_session()))
    # The demo org lives as long as the console: so does its journal (history, h), in a
    # private temporary directory removed on quit.
    scratch = Path(tempfile.mkdtemp(prefix="bulktui-demo-"))
    journal = Journal.open(scratch / "demo.sqlite3")

    def stop() -> None:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    return open_live_backend(
        client,
        instance_url=server.url,
        journal=journal,
        api_budget=DEMO_API_BUDGET,
        interval=interval,
        read_only=read_only,
        on_close=stop,
    )


def _close_quietly(backend: LiveBackend) -> None:
    import asyncio
    import contextlib

    with contextlib.suppress(Exception):  # closing must never turn a quit into a traceback
        asyncio.run(backend.aclose())
