"""Command line entry point: the console (no subcommand) and the one-shot commands.

Each subcommand lives in its own module exposing ``register(subparsers)``; a handler returns the
exit code. Exit codes: 0 success, 1 API or network error, 2 usage or bad input. No traceback
ever reaches the user: ``main`` turns every error into one line on stderr.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from bulktui import __version__
from bulktui.api.errors import BulkError, ProxySettingError
from bulktui.cli.common import UsageError, add_connection_options, fail
from bulktui.cli.history_cmd import add_journal_options
from bulktui.core.budget import add_budget_option
from bulktui.core.files import ConfigFileError
from bulktui.core.logfile import logging_to_file

log = logging.getLogger("bulktui")
# Errors from writing the output that are the machine's, not bulktui's: said as such.
_WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})

# The modules that register subcommands, in help order, with the commands each registers.
SUBCOMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "bulktui.cli.jobs_cmd": ("jobs", "show", "close", "abort", "create"),
    "bulktui.cli.results_cmd": ("results",),
    "bulktui.cli.emulator_cmd": ("emulator",),
    "bulktui.cli.login_cmd": ("login", "profiles", "logout"),
    "bulktui.cli.history_cmd": ("history", "actions", "journal"),
    "bulktui.cli.watch_cmd": ("watch",),
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line. With ``argv``, only the modules of the commands named in it
    are loaded (the others get a bare parser that only keeps their name a valid choice):
    the console, the most common launch, then never loads the login or watch machinery
    (httpx among it). ``-h``/``--help`` anywhere loads them all, for the full help."""
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
        help="refresh interval, 1 to 3,600 (default 5)",
    )
    console.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    console.add_argument("--read-only", action="store_true", help="disable close, abort and create")
    console.add_argument(
        "--rules",
        metavar="FILE",
        help="guard rules (default: guards.toml in the config directory, if there is one)",
    )
    console.add_argument(
        "--arm", action="store_true", help="let abort and close rules act (docs/guards.md)"
    )
    console.add_argument(
        "--dry-run", action="store_true", help="guard rules say what they would do, send nothing"
    )
    add_journal_options(parser)
    add_budget_option(parser)
    parser.set_defaults(handler=_run_console)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    words = None if argv is None or {"-h", "--help"} & set(argv) else set(argv)
    for module, commands in SUBCOMMAND_MODULES.items():
        if words is None or words & set(commands):
            importlib.import_module(module).register(sub)
        else:
            for command in commands:
                sub.add_parser(command)  # never the one parsed: its name is not in argv
    return parser


def _run_console(args: argparse.Namespace) -> int:
    # Imported lazily: one-shot commands must not pay for loading Textual.
    from bulktui.cli.console_cmd import run_console

    return run_console(args)


SOCKS_MISSING = (
    "a SOCKS proxy is set (ALL_PROXY or HTTPS_PROXY is socks5://…) but SOCKS support is not "
    "installed: pip install 'httpx[socks]', or unset the variable"
)


def main(argv: Sequence[str] | None = None) -> int:
    stdout_closed = _guard_standard_streams()
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if stdout_closed:
        return fail(
            "standard output is closed: nothing could be written; run it again with "
            "stdout open (> FILE or | less)",
            2,
        )
    console = args.handler is _run_console
    with logging_to_file(stderr_warnings=not console):
        return _run(args)


def _guard_standard_streams() -> bool:
    """Make closed standard streams harmless, and say whether stdout was closed.

    A closed descriptor 0, 1 or 2 is opened on /dev/null, so that no file opened later (the
    log, a socket) takes its number and receives what was meant for the terminal; a missing
    sys.stdin reads as empty (prompts then say that input ended) and a missing sys.stderr
    swallows what it is given instead of print() falling back to stdout."""
    closed = False
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed = closed or fd == 1
            os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as we do
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    return closed or sys.stdout is None


def _run(args: argparse.Namespace) -> int:
    try:
        code: int = args.handler(args)
        return code
    except UsageError as exc:
        return fail(str(exc), 2)
    except ConfigFileError as exc:
        return fail(str(exc), 2)
    except ProxySettingError as exc:  # the environment, not the org: as a usage error
        return fail(str(exc), 2)
    except BulkError as exc:
        return fail(str(exc), 1)
    except ImportError as exc:
        if "socks" in str(exc).lower():  # httpx, when a socks5:// proxy is set
            return fail(SOCKS_MISSING, 2)
        log.debug("unexpected error", exc_info=True)
        return fail(f"internal error: {type(exc).__name__}: {exc}", 1)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if isinstance(exc, OSError) and exc.errno in _WRITE_FAILURES:
            # A full disk, a quota, a dying device: the machine's fault, not bulktui's.
            return fail(f"could not write the output: {exc.strerror}; it is incomplete", 1)
        log.debug("unexpected error", exc_info=True)
        return fail(f"internal error: {type(exc).__name__}: {exc}", 1)
