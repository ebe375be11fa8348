"""Helpers shared by the subcommands: errors, output, and connection options."""

from __future__ import annotations

import argparse
import os
import sys

from bulktui.api.enums import JobState
from bulktui.api.redact import safe_message


class UsageError(Exception):
    """Bad input from the user: exit code 2, one line on stderr."""


def fail(message: str, code: int) -> int:
    """Every error line the CLI prints: one line, secrets masked, server text made safe."""
    print(f"bulktui: {safe_message(message)}", file=sys.stderr)
    return code


def parse_states(given: list[str]) -> set[JobState]:
    """``--state S`` (repeatable, or comma-separated), any case: the job states named, or
    UsageError naming the one that is not a state (``jobs`` and ``history`` alike)."""
    by_folded = {s.value.lower(): s for s in JobState}
    states = set()
    for text in given:
        for part in text.split(","):
            state = by_folded.get(part.strip().lower())
            if state is None:
                known = ", ".join(s.value for s in JobState)
                raise UsageError(f"--state {part.strip()!r} is not a job state ({known})")
            states.add(state)
    return states


class SessionIdOnCommandLine(argparse.Action):
    """``--session-id VALUE``: stored as given, and remembered as typed on the command line
    (where ``ps`` shows it to every local user), so that a warning can say so once."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.session_id_on_command_line = True


SESSION_ID_HELP = (
    "session id or access token; visible to every local user in the process list, so prefer "
    "BULKTUI_SESSION_ID or --session-id-file"
)
SESSION_ID_FILE_HELP = "read the session id from FILE's first line ('-': standard input)"


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--instance-url",
        default=os.environ.get("BULKTUI_INSTANCE_URL"),
        metavar="URL",
        help="org instance URL (env BULKTUI_INSTANCE_URL)",
    )
    group.add_argument(
        "--session-id",
        action=SessionIdOnCommandLine,
        default=None,
        metavar="TOKEN",
        help=SESSION_ID_HELP,
    )
    group.add_argument("--session-id-file", default=None, metavar="FILE", help=SESSION_ID_FILE_HELP)
    group.add_argument(
        "--profile",
        default=os.environ.get("BULKTUI_PROFILE"),
        metavar="NAME",
        help="stored login profile (env BULKTUI_PROFILE)",
    )
    group.add_argument(
        "--api-version", default=None, metavar="X.Y", help="API version (default 64.0)"
    )
    group.add_argument("--ca-bundle", default=None, metavar="FILE", help="trust this CA bundle too")
