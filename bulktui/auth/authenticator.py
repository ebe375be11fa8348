"""Staying logged in: a profile's current connection, its cached token, and the ReauthHook.

``Authenticator.connection()`` starts from the access token cached in the keyring (so a
one-shot command does not log in on every call; Salesforce limits logins per user per hour),
and logs in only when there is none. ``Authenticator.reauthenticate`` is the ``ReauthHook``
BulkClient calls when the server says the session expired:

- single flight: callers that arrive while a refresh runs share its result;
- after a failure, no new attempt for ``retry_after_failure`` seconds (60 by default): calls
  in between fail at once with the same plain-words error, so a revoked refresh token never
  floods the login endpoint;
- each attempt re-reads the secrets from the keyring, so running the fix command in another
  terminal heals a console that is already running;
- a fresh token is cached in the keyring (off the event loop), never in a file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

from bulktui.api.connection import DEFAULT_API_VERSION, Connection, InsecureUrlError
from bulktui.api.errors import BulkError, ReauthenticationError
from bulktui.api.redact import register_secret
from bulktui.auth import methods
from bulktui.auth.endpoints import Token, make_http
from bulktui.auth.errors import KeyringAccessError, LoginTransportError, SfCliError
from bulktui.auth.methods import Fresh, MethodContext
from bulktui.auth.profiles import Method, Profile
from bulktui.auth.secrets import SecretKind, SecretStore
from bulktui.auth.sfcli import SfRunner, run_sf

log = logging.getLogger("bulktui.auth")

RETRY_AFTER_FAILURE = 60.0

T = TypeVar("T")


class Authenticator:
    def __init__(
        self,
        profile: Profile,
        store: SecretStore,
        *,
        api_version: str | None = None,
        ca_file: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sf_runner: SfRunner = run_sf,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        retry_after_failure: float = RETRY_AFTER_FAILURE,
        fast_sf: bool = True,
    ) -> None:
        self.profile = profile
        self.store = store
        self.api_version_override = api_version
        self.ca_file = ca_file or profile.ca_file
        self.transport = transport
        self.sf_runner = sf_runner
        self.clock = clock
        self.wall_clock = wall_clock
        self.retry_after_failure = retry_after_failure
        self.fast_sf = fast_sf  # False: ask `sf org display` every time (login, --check)
        self.current: Connection | None = None
        self.last_fresh: Fresh | None = None
        self.logins = 0  # fresh tokens obtained by this object (tests and figures count these)
        self._inflight: asyncio.Future[Connection] | None = None
        self._failed_at: float | None = None
        self._failure: ReauthenticationError | None = None

    @property
    def fix_command(self) -> str:
        return methods.fix_command(self.profile)

    # -- the connection to start with -------------------------------------------------------

    async def cached_connection(self) -> Connection | None:
        """The token the keyring holds for this profile, if any."""
        try:
            raw = await self.store.aget(self.profile.name, SecretKind.ACCESS_TOKEN)
        except KeyringAccessError as exc:  # locked: a cache miss, and the login says the rest
            if not methods.caches_token(self.profile):
                raise  # a session method's entry is the session itself, not a cache
            log.warning("could not read the cached access token of %s: %s", self.profile.name, exc)
            return None
        if not raw:
            return None
        if self.profile.method is Method.SESSION:
            if not self.profile.instance_url:
                return None
            return self._connection(Token(raw, self.profile.instance_url))
        try:
            data = json.loads(raw)
            token = Token(str(data["access_token"]), str(data["instance_url"]))
        except (ValueError, KeyError, TypeError):
            return None  # an unreadable cache entry: log in again
        return self._connection(token)

    async def connection(self) -> Connection:
        """The current connection: in memory, else cached in the keyring, else a login.

        A first login raises the method's own errors (a missing key file is bad input, exit
        code 2); only refreshes go through the hook's ReauthenticationError."""
        if self.current is not None:
            return self.current
        cached = await self.cached_connection()
        if cached is not None:
            self.current = cached
            return cached
        if self.profile.method is Method.SESSION:
            return await self.reauthenticate()  # nothing stored: says how to paste one
        return await self.login()

    # -- a fresh token ------------------------------------------------------------------------

    async def login(self) -> Connection:
        """Obtain a fresh token now, raising the method's own errors (for `bulktui login`)."""
        fresh = await self._obtain()
        return await self._adopt(fresh)

    async def reauthenticate(self) -> Connection:
        """The ReauthHook: one shared attempt, rate-limited after a failure."""
        if self._inflight is not None:
            return await asyncio.shield(self._inflight)
        if self._failed_at is not None and self._failure is not None:
            wait = self._failed_at + self.retry_after_failure - self.clock()
            if wait > 0:
                raise ReauthenticationError(
                    f"{self._failure.message} (next try in {max(1, round(wait))} s)",
                    says_fix=self._failure.says_fix,
                )
        future: asyncio.Future[Connection] = asyncio.ensure_future(self._refresh())
        self._inflight = future

        def done(f: asyncio.Future[Connection]) -> None:
            self._inflight = None
            if not f.cancelled():
                f.exception()  # retrieved: a failure is re-raised to every awaiter below

        future.add_done_callback(done)
        return await asyncio.shield(future)

    async def _refresh(self) -> Connection:
        refused = self.current.session_id if self.current is not None else None
        try:
            fresh = await self._obtain()
            if self.profile.method is Method.SF and fresh.token.access_token == refused:
                raise SfCliError(
                    "the Salesforce CLI handed back the very token the server just refused, so "
                    f"its login of {self.profile.target_org!r} has expired or was revoked"
                )
        except BulkError as exc:
            failure = ReauthenticationError(self._explain(exc), says_fix=True)
            self._failed_at = self.clock()
            self._failure = failure
            raise failure from None
        self._failed_at = None
        self._failure = None
        return await self._adopt(fresh)

    def _explain(self, exc: BulkError) -> str:
        what = {
            Method.SF: "getting a token from the Salesforce CLI",
            Method.JWT: "signing in with a new JWT",
            Method.OAUTH: "refreshing the OAuth token",
            Method.PASSWORD: "signing in with the stored password",
            Method.SESSION: "the pasted session",
        }[self.profile.method]
        reason = str(exc)
        if self.profile.method is Method.OAUTH and "invalid_grant" in reason:
            reason = f"the refresh token was revoked or has expired ({reason})"
        elif isinstance(exc, LoginTransportError):
            reason = f"the login server could not be reached ({reason})"
        return (
            f"{what} failed for profile {self.profile.name!r}: {reason}. "
            f"To fix it, run: {self.fix_command}"
        )

    async def _obtain(self) -> Fresh:
        async with make_http(self.ca_file, self.transport) as http:
            ctx = MethodContext(
                profile=self.profile,
                http=http,
                secret=lambda kind: self.store.aget(self.profile.name, kind),
                wall_clock=self.wall_clock,
                sf=self.sf_runner,
                known_instance_url=self.profile.instance_url if self.fast_sf else None,
            )
            fresh = await methods.fresh_token(ctx)
        self.logins += 1
        return fresh

    async def adopt(self, token: Token) -> Connection:
        """Use a token obtained elsewhere (the device flow) as this profile's fresh token."""
        self.logins += 1
        return await self._adopt(Fresh(token))

    async def _adopt(self, fresh: Fresh) -> Connection:
        connection = self._connection(fresh.token, fresh.api_version)
        self.current = connection
        self.last_fresh = fresh
        await self._remember(fresh.token)
        return connection

    async def _remember(self, token: Token) -> None:
        """Cache the token (and a rotated refresh token) in the keyring; failures only warn."""
        name = self.profile.name
        try:
            if token.refresh_token and self.profile.method is Method.OAUTH:
                await self.store.aset(name, SecretKind.REFRESH_TOKEN, token.refresh_token)
            if methods.caches_token(self.profile):
                value = json.dumps(
                    {"access_token": token.access_token, "instance_url": token.instance_url}
                )
                await self.store.aset(name, SecretKind.ACCESS_TOKEN, value)
        except BulkError as exc:
            log.warning("could not cache the access token of %s: %s", name, exc)

    def _connection(self, token: Token, api_version: str | None = None) -> Connection:
        register_secret(token.access_token)  # masked in every log line and message from now on
        try:
            return Connection(
                instance_url=token.instance_url,
                session_id=token.access_token,
                api_version=self.api_version_override
                or self.profile.api_version
                or api_version
                or DEFAULT_API_VERSION,
                ca_file=self.ca_file,
            )
        except InsecureUrlError as exc:
            raise LoginTransportError(
                f"the login server gave an unusable instance URL: {exc}"
            ) from None


def run_sync(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine from synchronous code, in a thread of its own if a loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="bulktui-auth")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
