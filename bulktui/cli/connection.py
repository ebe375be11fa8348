"""Which org a one-shot command talks to, and as whom.

Today: ``--instance-url`` and ``--session-id`` (or ``BULKTUI_INSTANCE_URL`` /
``BULKTUI_SESSION_ID``), which the top-level parser reads (cli/common.py). Stored profiles
(``--profile``) extend ``resolve_connection`` later and may return a re-authentication hook.
"""

from __future__ import annotations

import argparse
import os
import re

from bulktui.api.connection import (
    DEFAULT_API_VERSION,
    Connection,
    InsecureUrlError,
    ReauthHook,
)
from bulktui.cli.common import UsageError

_API_VERSION = re.compile(r"\d{2,3}\.\d")


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
        default=hidden,
        metavar="TOKEN",
        help="session id or access token (env BULKTUI_SESSION_ID)",
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


def resolve_connection(args: argparse.Namespace) -> tuple[Connection, ReauthHook | None]:
    """The connection the arguments describe, or UsageError (exit 2) with one clear line."""
    url = getattr(args, "instance_url", None)
    session_id = getattr(args, "session_id", None)
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
        missing = "--instance-url" if not url else "--session-id"
        raise UsageError(
            f"no connection: {missing} is missing (or set BULKTUI_INSTANCE_URL and "
            "BULKTUI_SESSION_ID)"
        )
    version = getattr(args, "api_version", None) or DEFAULT_API_VERSION
    if not _API_VERSION.fullmatch(version):
        raise UsageError(f"--api-version {version!r} is not like 64.0")
    ca_file = getattr(args, "ca_bundle", None)
    if ca_file and not os.path.isfile(ca_file):
        raise UsageError(f"--ca-bundle {ca_file}: no such file")
    try:
        connection = Connection(url.strip(), session_id.strip(), version, ca_file)
    except InsecureUrlError as exc:
        raise UsageError(str(exc)) from None
    return connection, None
