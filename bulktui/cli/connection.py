"""Which org a command talks to, and as whom.

A stored profile (``--profile``, ``BULKTUI_PROFILE``, or the default profile), or an instance
URL (``--instance-url``, ``BULKTUI_INSTANCE_URL``) with a session id from, in order of
preference, ``BULKTUI_SESSION_ID``, ``--session-id-file FILE`` (``-``: standard input) or
``--session-id VALUE``. The last one works but warns once: every local user can read a
command line in the process list.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from bulktui.api.connection import (
    DEFAULT_API_VERSION,
    Connection,
    InsecureUrlError,
    ReauthHook,
)
from bulktui.api.errors import ReauthenticationError
from bulktui.api.redact import register_secret
from bulktui.cli.common import (
    SESSION_ID_FILE_HELP,
    SESSION_ID_HELP,
    SessionIdOnCommandLine,
    UsageError,
)

_API_VERSION = re.compile(r"\d{2,3}\.\d")
SESSION_ID_ENV = "BULKTUI_SESSION_ID"
MAX_SESSION_ID_BYTES = 16_384  # a session id is ~112 characters, a JWT access token a few KB
_SESSION_ID = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces
COMMAND_LINE_WARNING = (
    "bulktui: warning: --session-id puts the session in the process list, where every user "
    f"of this machine can read it (ps); set {SESSION_ID_ENV} or use --session-id-file FILE "
    "(- for standard input) instead"
)
CANNOT_RENEW = (
    "a session id cannot be renewed: start again with a fresh session id "
    f"({SESSION_ID_ENV} or --session-id-file), or use a profile (`bulktui login`, then "
    "--profile NAME), which renews itself (Salesforce said INVALID_SESSION_ID: expired or "
    "revoked)"
)
_warned = False


def add_subcommand_connection_options(parser: argparse.ArgumentParser) -> None:
    """The connection options again on a subcommand, so ``bulktui jobs --instance-url U``
    works as well as ``bulktui --instance-url U jobs``. SUPPRESS keeps a subcommand that does
    not repeat them from overwriting what the top-level parser (or the environment) set."""
    group = parser.add_argument_group("connection")
    hidden = argparse.SUPPRESS
    group.add_argument(
        "--instance-url",
        default=hidden,
        metavar="URL",
        help="org instance URL (env BULKTUI_INSTANCE_URL)",
    )
    group.add_argument(
        "--session-id",
        action=SessionIdOnCommandLine,
        default=hidden,
        metavar="TOKEN",
        help=SESSION_ID_HELP,
    )
    group.add_argument(
        "--session-id-file", default=hidden, metavar="FILE", help=SESSION_ID_FILE_HELP
    )
    group.add_argument(
        "--profile",
        default=hidden,
        metavar="NAME",
        help="stored login profile (env BULKTUI_PROFILE)",
    )
    group.add_argument(
        "--api-version",
        default=hidden,
        metavar="X.Y",
        help=f"API version (default {DEFAULT_API_VERSION})",
    )
    group.add_argument(
        "--ca-bundle", default=hidden, metavar="FILE", help="trust this CA bundle too"
    )


def session_id_from(args: argparse.Namespace) -> str | None:
    """The session id the arguments or the environment give, or None. ``--session-id VALUE``
    warns once on stderr."""
    global _warned
    given = getattr(args, "session_id", None)
    path = getattr(args, "session_id_file", None)
    if given and path:
        raise UsageError("--session-id and --session-id-file exclude each other")
    if path:
        return _read_session_id(path)
    if given:
        if getattr(args, "session_id_on_command_line", False) and not _warned:
            _warned = True
            print(COMMAND_LINE_WARNING, file=sys.stderr)
        return str(given).strip()
    return os.environ.get(SESSION_ID_ENV, "").strip() or None


def _read_session_id(path: str) -> str:
    """The first line of FILE (a FIFO or ``<(pass show …)`` too) or of standard input."""
    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            line = sys.stdin.readline(MAX_SESSION_ID_BYTES + 1)
        else:
            with open(path, encoding="utf-8", errors="replace") as fh:
                line = fh.readline(MAX_SESSION_ID_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"--session-id-file {where}: {exc.strerror or exc}") from None
    except ValueError:  # standard input is closed
        raise UsageError(f"--session-id-file {where}: it is closed") from None
    value = line.strip()
    if not value:
        raise UsageError(f"--session-id-file {where}: no session id in its first line")
    if len(value) > MAX_SESSION_ID_BYTES or not _SESSION_ID.fullmatch(value):
        raise UsageError(f"--session-id-file {where}: its first line is not a session id")
    return value


async def _cannot_renew() -> Connection:
    """The hook of a plain session id: nothing can renew it, so say what fits this user."""
    raise ReauthenticationError(CANNOT_RENEW, says_fix=True)


def resolve_connection(args: argparse.Namespace) -> tuple[Connection, ReauthHook | None]:
    """The connection the arguments describe, or UsageError (exit 2) with one clear line."""
    url = getattr(args, "instance_url", None)
    session_id = session_id_from(args)
    # -- stored login profiles (issue 4, bulktui/cli/login_cmd.py): --profile or
    # BULKTUI_PROFILE wins; with neither a profile, a URL nor a session, the default profile.
    explicit = bool(getattr(args, "profile", None))
    if explicit or not (url or session_id):
        from bulktui.cli.login_cmd import resolve_profile

        resolved = resolve_profile(args, explicit=explicit)
        if resolved is not None:
            return resolved
    # -- end of stored login profiles
    if not url or not session_id:
        raise UsageError(
            "no connection: --instance-url is missing (or set BULKTUI_INSTANCE_URL), and no "
            "--profile"
            if not url
            else f"no connection: --session-id is missing: set {SESSION_ID_ENV} or use "
            "--session-id-file FILE (- for standard input), or use a --profile"
        )
    version = getattr(args, "api_version", None) or DEFAULT_API_VERSION
    if not _API_VERSION.fullmatch(version):
        raise UsageError(f"--api-version {version!r} is not like 64.0")
    ca_file = getattr(args, "ca_bundle", None)
    if ca_file and not os.path.isfile(ca_file):
        raise UsageError(f"--ca-bundle {ca_file}: no such file")
    register_secret(session_id)  # masked in every log line and message from now on
    try:
        connection = Connection(url.strip(), session_id, version, ca_file)
    except InsecureUrlError as exc:
        raise UsageError(str(exc)) from None
    return connection, _cannot_renew
