"""Reusing a Salesforce CLI login (docs/wire-facts.md §7.3): shell out to ``sf``, never read
its files.

- ``sf org display --target-org ALIAS --json`` gives ``instanceUrl``, ``username``,
  ``apiVersion`` (and, on CLIs before plugin-org 5.11.1, ``accessToken``).
- ``sf org auth show-access-token --target-org ALIAS --json`` gives the token on current CLIs.
- Both refresh the token first, so running them again is the refresh.

Nothing from here is stored by bulktui. stdout (which holds the token) is never logged or
quoted in an error.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bulktui.auth.errors import SfCliError
from bulktui.text import one_line

REDACTED_PREFIX = "[REDACTED]"
SF_TIMEOUT = 120.0

# Runs ``sf <args> --json`` and returns the parsed ``result`` object.
SfRunner = Callable[[Sequence[str]], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class SfLogin:
    access_token: str
    instance_url: str
    username: str | None
    api_version: str | None

    def __repr__(self) -> str:
        return f"SfLogin(instance_url={self.instance_url!r}, username={self.username!r})"


def _parse(stdout: bytes) -> Mapping[str, Any] | None:
    text = stdout.decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        # Some CLI versions print a warning line before the JSON document.
        start = text.find("\n{")
        if start < 0:
            return None
        try:
            data = json.loads(text[start + 1 :])
        except ValueError:
            return None
    return data if isinstance(data, dict) else None


async def run_sf(args: Sequence[str], *, executable: str = "sf") -> Mapping[str, Any]:
    path = shutil.which(executable)
    shown = "sf " + " ".join(args)
    if path is None:
        raise SfCliError(
            "the Salesforce CLI (sf) is not on PATH: install it "
            "(https://developer.salesforce.com/tools/salesforcecli) or choose another --method"
        )
    env = dict(os.environ)
    env.setdefault("SF_AUTOUPDATE_DISABLE", "true")
    env.setdefault("SF_DISABLE_AUTOUPDATE", "true")
    try:
        proc = await asyncio.create_subprocess_exec(
            path,
            *args,
            "--json",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        raise SfCliError(f"cannot run {path}: {exc.strerror or exc}") from None
    try:
        stdout, _ = await asyncio.wait_for(proc.communicate(), SF_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise SfCliError(f"`{shown}` did not finish within {SF_TIMEOUT:.0f} s") from None
    data = _parse(stdout)
    if data is None:
        raise SfCliError(f"`{shown} --json` printed no JSON (exit code {proc.returncode})")
    status = data.get("status", proc.returncode)
    if status != 0 or proc.returncode != 0:
        message = data.get("message") or data.get("name") or f"exit code {proc.returncode}"
        raise SfCliError(f"`{shown}` failed: {one_line(str(message))[:300]}")
    result = data.get("result")
    if not isinstance(result, dict):
        raise SfCliError(f"`{shown} --json` printed no result object")
    return result


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def sf_login(
    alias: str, run: SfRunner = run_sf, known_instance_url: str | None = None
) -> SfLogin:
    """The CLI's current token for ``alias``: show-access-token, else org display's token.

    With the instance URL already known (a stored profile), a current CLI needs one run
    (show-access-token, ~1 s of Node start-up) instead of two; an older one falls back."""
    show = ["org", "auth", "show-access-token", "--target-org", alias]
    token: str | None = None
    problem = ""
    tried_show = False
    if known_instance_url:
        tried_show = True
        try:
            token = _str((await run(show)).get("accessToken"))
        except SfCliError as exc:  # an older CLI has no such command
            problem = str(exc)
        if token and not token.startswith(REDACTED_PREFIX):
            return SfLogin(token, known_instance_url.rstrip("/"), None, None)
    try:
        display = await run(["org", "display", "--target-org", alias])
    except SfCliError as exc:
        if "not on PATH" in str(exc):
            raise
        raise SfCliError(f"{exc}; log in with `sf org login web --alias {alias}`") from None
    instance = _str(display.get("instanceUrl"))
    if instance is None:
        raise SfCliError(f"`sf org display --target-org {alias}` gave no instanceUrl")
    status = _str(display.get("connectedStatus"))
    if not tried_show:
        try:
            token = _str((await run(show)).get("accessToken"))
        except SfCliError as exc:  # an older CLI has no such command
            problem = str(exc)
    if token is None or token.startswith(REDACTED_PREFIX):
        legacy = _str(display.get("accessToken"))
        token = legacy if legacy and not legacy.startswith(REDACTED_PREFIX) else None
    if token is None:
        why = problem or (f"connectedStatus is {status!r}" if status else "no token in its output")
        raise SfCliError(
            f"the Salesforce CLI gave no access token for {alias!r} ({why}); "
            f"log in again with `sf org login web --alias {alias}`"
        )
    return SfLogin(
        access_token=token,
        instance_url=instance.rstrip("/"),
        username=_str(display.get("username")),
        api_version=_str(display.get("apiVersion")),
    )
