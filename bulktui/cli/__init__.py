"""Command line entry point: the console (no subcommand) and the one-shot commands.

Each subcommand lives in its own module exposing ``register(subparsers)``; a handler returns the
exit code. Exit codes: 0 success, 1 API or network error, 2 usage or bad input. No traceback
ever reaches the user: ``main`` turns every error into one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from bulktui import __version__
from bulktui.api.errors import BulkError
from bulktui.api.redact import redact
from bulktui.cli.common import UsageError, add_connection_options, fail
from bulktui.core.logfile import logging_to_file

log = logging.getLogger("bulktui")

# Modules that register subcommands, in help order.
SUBCOMMAND_MODULES = (
    "bulktui.cli.jobs_cmd",
    "bulktui.cli.results_cmd",
    "bulktui.cli.emulator_cmd",
    "bulktui.cli.login_cmd",
    "bulktui.cli.history_cmd",
    "bulktui.cli.watch_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulktui",
        description="A terminal console for Salesforce Bulk API jobs. "
        "With no command it opens the live console.",
    )
    parser.add_argument("--version", action="version", version=f"bulktui {__version__}")
    add_connection_options(parser)
    console = parser.add_argument_group("console")
    console.add_argument("--demo", action="store_true", help="run against the embedded emulator")
    console.add_argument("--theme", metavar="NAME", help="colour theme (see themes/)")
    console.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="refresh interval (default 5)",
    )
    console.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    console.add_argument("--read-only", action="store_true", help="disable close, abort and create")
    parser.set_defaults(handler=_run_console)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _run_console(args: argparse.Namespace) -> int:
    # Imported lazily: one-shot commands must not pay for loading Textual.
    from bulktui.cli.console_cmd import run_console

    return run_console(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = args.handler is _run_console
    with logging_to_file(stderr_warnings=not console):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        code: int = args.handler(args)
        return code
    except UsageError as exc:
        return fail(str(exc), 2)
    except BulkError as exc:
        return fail(str(exc), 1)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, never a traceback
        log.debug("unexpected error", exc_info=True)
        return fail(redact(f"internal error: {type(exc).__name__}: {exc}"), 1)
