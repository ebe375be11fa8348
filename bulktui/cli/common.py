"""Helpers shared by the subcommands: errors, output, and connection options."""

from __future__ import annotations

import argparse
import os
import sys

from bulktui.core.text import one_line


class UsageError(Exception):
    """Bad input from the user: exit code 2, one line on stderr."""


def fail(message: str, code: int) -> int:
    print(f"bulktui: {one_line(message)}", file=sys.stderr)
    return code


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
        default=os.environ.get("BULKTUI_SESSION_ID"),
        metavar="TOKEN",
        help="session id or access token (env BULKTUI_SESSION_ID)",
    )
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
