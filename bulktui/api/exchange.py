"""The HTTP exchange under BulkClient: one request, with retries, re-authentication and a body cap.

Kept apart from the resource methods so the rules about *when a request may be sent again*
live in one place:

- A session error (1.0: 400 InvalidSessionId; REST: 401) means the server refused the request
  without acting on it, so after one shared re-authentication any request may be resent once.
- A connect failure (refused, connect timeout, TLS handshake, no pool slot) means no byte of the
  request left this process, so even a create-job may be resent.
- Anything after that point (read/write timeout, reset, 5xx, the HTML maintenance page) may
  have reached the server: only idempotent requests are resent; the others become
  ``AmbiguousResultError``.
- A method that changes state is wrapped in ``state_changing``: once one of its requests may
  have reached the server, any failure that is not the server's own answer (a body the parser
  refuses, a reset, the deadline) is ``AmbiguousResultError``, never "not done".
- Every exchange, retries and body included, ends within ``RetryPolicy.exchange_deadline``
  (docs/wire-facts.md §13).
- Headers are read leniently: one that cannot be read is ignored with a log line.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import ssl
import time
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

from bulktui import __version__
from bulktui.api import wire
from bulktui.api.connection import Connection, ReauthHook
from bulktui.api.decoding import ACCEPT_ENCODING, read_capped
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    BulkError,
    InvalidSessionError,
    ReauthenticationError,
    ResponseFormatError,
    TransportError,
)
from bulktui.api.limits import parse_limit_info
from bulktui.api.models import ApiUsage
from bulktui.api.proxies import check_proxy_environment, proxy_variables_for, uses_proxy
from bulktui.api.redact import redact, redact_headers, register_secret
from bulktui.api.retry import RetryPolicy, parse_retry_after
from bulktui.api.wire import parse_error

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("bulktui.api")

_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")  # URL-pattern spellings: never proxied

Root = Literal["async", "data", "base"]  # /services/async/v, /services/data/vX, the instance


def _not_sent(exc: BaseException) -> bool:
    """No byte of the request was written when these are raised (httpcore raises them while
    opening the connection or waiting for a pooled one, and ProxyError when the proxy refused
    to open the tunnel), so resending cannot duplicate anything."""
    import httpx

    return isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError
    )


_CONTENT_LENGTH = re.compile(r"[0-9]{1,20}", re.ASCII)

DEFAULT_TIMEOUT = 30.0  # seconds: reading (between chunks), writing, waiting for the pool
DEFAULT_CONNECT_TIMEOUT = 10.0

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(slots=True)
class _Call:
    """What one state-changing call has done so far."""

    maybe_applied: bool = False  # a request of it may have reached the server


_CURRENT_CALL: ContextVar[_Call | None] = ContextVar("bulktui_state_changing", default=None)


def _note_maybe_applied() -> None:
    call = _CURRENT_CALL.get()
    if call is not None:
        call.maybe_applied = True


def state_changing(
    ambiguity: str,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]:
    """Wrap a client method that changes state (create, close, abort, add a batch, upload).

    Once one of its requests may have reached the server, any failure that is not the server's
    own error answer (an ApiError) becomes ``AmbiguousResultError`` ending with ``ambiguity``:
    a body the parser refuses, a header it cannot read, a reset, the deadline, a bug. A user
    told "not created" would create the job again and load the data twice."""

    def wrap(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        @functools.wraps(method)
        async def call(*args: P.args, **kwargs: P.kwargs) -> T:
            outcome = _Call()
            token = _CURRENT_CALL.set(outcome)
            try:
                return await method(*args, **kwargs)
            except (ApiError, AmbiguousResultError):
                raise  # the server said what happened, or we already said we do not know
            except Exception as exc:
                if not outcome.maybe_applied:
                    raise
                reason = exc.message if isinstance(exc, BulkError) else _describe(exc)
                raise AmbiguousResultError(f"{reason}; {ambiguity}") from None
            finally:
                _CURRENT_CALL.reset(token)

        return call

    return wrap


@dataclass(slots=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes
    # True when an earlier attempt of this same request may have reached the server (it failed
    # after sending), so an "already in that state" answer may be our own earlier success.
    maybe_applied_before: bool = False
    # exchange(stream=True): the open response of a 2xx answer, its body not read (``body`` is
    # empty); the caller reads it (decoding.decoded_pieces bounds each piece) and closes it.
    stream: httpx.Response | None = field(default=None, repr=False)
    _error: ApiError | None = field(default=None, repr=False)

    @property
    def content_type(self) -> str | None:
        value: str | None = self.headers.get("content-type")
        return value

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_html(self) -> bool:
        ctype = (self.content_type or "").split(";", 1)[0].strip().lower()
        head = self.body[:256].lstrip().lower()
        return ctype == "text/html" or head.startswith((b"<!doctype html", b"<html"))

    def error(self) -> ApiError:
        if self._error is None:
            self._error = parse_error(self.status, self.body, self.content_type)
        return self._error

    def failure(self) -> BulkError:
        """What a non-2xx reply means: the ApiError its body describes, or ResponseFormatError
        when there is no readable error body (a redirect, HTML, a truncated document)."""
        if 300 <= self.status < 400:
            where = self.headers.get("location", "elsewhere")[:200]
            return ResponseFormatError(f"unexpected HTTP {self.status} redirect to {where}")
        error = self.error()
        if not error.code and self.body.strip():
            problem = _unreadable(self)
            if problem is not None:
                return ResponseFormatError(f"HTTP {self.status} with {problem}")
        return error

    def check(self) -> Reply:
        """Itself when 2xx; otherwise raises ``failure()``."""
        if self.ok:
            return self
        raise self.failure()


def _unreadable(reply: Reply) -> str | None:
    """Why an error body cannot be read, or None when it can (plain text counts as read)."""
    ctype = (reply.content_type or "").split(";", 1)[0].strip().lower()
    if ctype == "text/plain":
        return None
    try:
        if wire.detect_format(reply.content_type, reply.body) == "json":
            wire.load_json(reply.body)
        else:
            wire.load_xml(reply.body)
    except ResponseFormatError as exc:
        return f"an unreadable error body: {exc.message}"
    return None


def ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """Verification always on: certifi's roots (as httpx uses), plus an extra CA bundle."""
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TransportError(f"cannot load the CA bundle {ca_file}: {exc}") from None
    return context


class Exchanger:
    """Sends requests for BulkClient; owns the httpx client, the session and its renewal."""

    def __init__(
        self,
        connection: Connection,
        *,
        transport: httpx.AsyncBaseTransport | None,
        reauthenticate: ReauthHook | None,
        retry: RetryPolicy,
        timeout: float | httpx.Timeout | None,
        max_body_bytes: int,
    ) -> None:
        self.connection = connection
        self.retry = retry
        self.max_body_bytes = max_body_bytes
        self.requests_sent = 0
        # Of those, the ones whose connection could not be made: nothing reached a server, so
        # the org's limit was not spent (an hour offline must not exhaust the API budget).
        self.requests_unreached = 0
        # (request number, seconds until its whole body arrived) of recent answered requests,
        # timed on the retry policy's clock (injectable, like the rest of the timing).
        self.reply_times: deque[tuple[int, float]] = deque(maxlen=256)
        # (request number, why) of recent requests that failed and were retried: a cycle that
        # succeeded only thanks to retries is still a link in trouble, and the header says so.
        self.retried: deque[tuple[int, str]] = deque(maxlen=256)
        self.api_usage: ApiUsage | None = None
        self._reauthenticate_hook = reauthenticate
        self._reauth_lock = asyncio.Lock()
        self._generation = 0  # bumped by every successful re-authentication
        self._reauth_done = 0  # calls of the hook that have finished
        self._reauth_failure: tuple[int, BulkError] | None = None  # (attempt, what it raised)
        self._reauth_task: asyncio.Future[None] | None = None  # the sign-in in flight
        register_secret(connection.session_id)
        self._timeout = timeout
        self._transport = transport
        self._http_client: httpx.AsyncClient | None = None
        # The network stack (httpx, httpcore, certifi's roots: about 0.2 s) loads with the
        # first request, not here: a console with a journal paints before it is needed. A CA
        # bundle given by the user is still read now, so a bad one is refused at once.
        self._ssl: ssl.SSLContext | None = (
            ssl_context(connection.ca_file) if connection.ca_file else None
        )
        if transport is None:
            check_proxy_environment()

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._http_client is None:
            self._http_client = self._new_http_client()
        return self._http_client

    def _new_http_client(self) -> httpx.AsyncClient:
        import httpx

        timeout = self._timeout
        if timeout is None:  # read: between chunks, not the whole body
            timeout = httpx.Timeout(DEFAULT_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
        common: dict[str, Any] = {
            "timeout": timeout,
            "follow_redirects": False,  # a redirect would carry the token to another URL
            # Only encodings decoding.py can decode under its cap (no br, no zstd).
            "headers": {"User-Agent": f"bulktui/{__version__}", "Accept-Encoding": ACCEPT_ENCODING},
        }
        if self._transport is not None:
            return httpx.AsyncClient(transport=self._transport, trust_env=False, **common)
        return environment_client(self._ssl or ssl_context(None), **common)

    async def aclose(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()

    def _through_proxy(self, request: httpx.Request) -> str:
        """The words " through the proxy in HTTPS_PROXY" when the request went through an
        environment proxy, else "": on a jump host, "could not reach <instance>" alone sends
        the user to look at Salesforce when it is the proxy that did not answer. Only the
        variable's name: its value may hold a password."""
        client = self._http_client
        if client is None or self._transport is not None:
            return ""
        names = proxy_variables_for(request.url.scheme)
        return (
            f" through the proxy in {' or '.join(names)}"
            if names and uses_proxy(client, request.url)
            else ""
        )

    # ----------------------------------------------------------------------- one exchange

    async def exchange(
        self,
        method: str,
        root: Root,
        path: str,
        *,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
        ambiguity: str = "",
        stream: bool = False,
        accept: str = "application/json",
    ) -> Reply:
        """The final non-transient reply (2xx or an error body the caller interprets).

        ``idempotent=False`` forbids resending once the request may have been sent;
        ``ambiguity`` then says what may or may not have happened. The whole exchange ends
        within ``RetryPolicy.exchange_deadline`` seconds (a server that trickles one byte
        every 20 s never trips the read timeout). ``stream=True`` leaves a 2xx body unread
        in ``reply.stream`` (results can be gigabytes): the deadline and every other rule
        apply until the answer's headers arrive; the reader bounds what it holds.
        ``accept`` is the REST/2.0 Accept header (CSV for 2.0 results).
        """
        what = f"{method} {path.split('?', 1)[0]}"
        limit = self.retry.exchange_deadline
        attempt = _Attempts()
        try:
            async with asyncio.timeout(limit):
                return await self._exchange(
                    method,
                    root,
                    path,
                    content,
                    content_type,
                    params,
                    idempotent,
                    ambiguity,
                    attempt,
                    stream,
                    accept,
                )
        except TimeoutError:
            if attempt.sending and not idempotent:
                raise AmbiguousResultError(
                    f"{what} had no complete answer within {limit:.0f} s: {ambiguity}"
                ) from None
            raise TransportError(
                f"{what}: no complete answer within {limit:.0f} s "
                "(the server is stalled or too slow)"
            ) from None

    async def _exchange(
        self,
        method: str,
        root: Root,
        path: str,
        content: bytes | None,
        content_type: str | None,
        params: Mapping[str, str] | None,
        idempotent: bool,
        ambiguity: str,
        attempt: _Attempts,
        stream: bool,
        accept: str,
    ) -> Reply:
        policy = self.retry
        deadline = policy.clock() + policy.total_budget
        failures = 0
        reauthenticated = False
        maybe_applied = False
        what = f"{method} {path.split('?', 1)[0]}"
        ambiguity = ambiguity or "it may or may not have taken effect; check before repeating it"
        import httpx  # loaded with the first request (see __init__)

        while True:
            connection, generation = self.connection, self._generation
            request = self._build(connection, method, root, path, content, content_type, params)
            if root != "async":
                request.headers["Accept"] = accept
            retry_after: float | None = None
            attempt.sending = True
            try:
                reply = await self._send(request, stream)
            except httpx.UnsupportedProtocol as exc:
                raise TransportError(f"{what}: {_describe(exc)}") from None
            except (httpx.DecodingError, ResponseFormatError) as exc:
                # The request was answered, but the body could not be read (over the cap,
                # not valid gzip): for a non-idempotent request, we do not know what it did.
                _note_maybe_applied()
                reason = exc.message if isinstance(exc, BulkError) else _describe(exc)
                if not idempotent:
                    raise AmbiguousResultError(f"{what}: {reason}: {ambiguity}") from None
                raise ResponseFormatError(f"{what}: {reason}") from None
            except (httpx.RequestError, OSError) as exc:
                # OSError: real transports wrap socket errors in httpx exceptions, but in-process
                # ones (ASGITransport) let the app's ConnectionResetError through as is.
                sent = not _not_sent(exc)
                if not sent:
                    self.requests_unreached += 1
                if _is_certificate_failure(exc):
                    host = request.url.host
                    raise TransportError(
                        f"TLS certificate verification failed for {host} "
                        "(a private CA needs --ca-bundle)"
                    ) from None
                if sent:
                    _note_maybe_applied()
                if sent and not idempotent:
                    raise AmbiguousResultError(
                        f"{what} failed after it was sent ({_describe(exc)}): {ambiguity}"
                    ) from None
                host = request.url.netloc.decode()
                failure: BulkError = TransportError(
                    f"the connection to {host} failed after the request was sent: {_describe(exc)}"
                    if sent
                    else f"could not reach {host}{self._through_proxy(request)}: {_describe(exc)}"
                )
            except BaseException:
                _note_maybe_applied()  # cancelled or failed after the request may have left
                raise
            else:
                expired = self._session_error(reply, root)
                if expired is not None:
                    if reauthenticated:
                        raise expired  # a fresh session was refused too: do not loop
                    await self._renew_session(generation, expired)
                    reauthenticated = True
                    continue
                _note_maybe_applied()
                if not _transient(reply):
                    reply.maybe_applied_before = maybe_applied
                    return reply
                sent = True
                if not idempotent:
                    raise AmbiguousResultError(
                        f"{what} got HTTP {reply.status} from the server: {ambiguity}"
                    )
                failure = _give_up_error(reply)
                retry_after = _header(reply.headers, "retry-after", parse_retry_after)
            maybe_applied = maybe_applied or sent
            failures += 1
            self.retried.append((self.requests_sent, str(failure)))
            if failures >= policy.max_attempts:
                raise _after(failure, failures)
            wait = policy.delay(failures, retry_after)
            if policy.clock() + wait > deadline:
                raise _after(failure, failures)
            # INFO, not WARNING: a retry is routine, and an unconfigured process prints
            # WARNINGs to stderr (logging.lastResort), which would break one-line errors.
            log.info("%s: %s; retry %d in %.1f s", what, failure, failures, wait)
            await policy.sleep(wait)

    def _build(
        self,
        connection: Connection,
        method: str,
        root: Root,
        path: str,
        content: bytes | None,
        content_type: str | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Request:
        base = {
            "async": connection.async_root,
            "data": connection.data_root,
            "base": connection.base_url,
        }[root]
        headers: dict[str, str] = {}
        if root == "async":
            headers["X-SFDC-Session"] = connection.session_id
        else:
            headers["Authorization"] = f"Bearer {connection.session_id}"
            headers["Accept"] = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        return self._http.build_request(
            method, base + path, content=content, headers=headers, params=params
        )

    async def _send(self, request: httpx.Request, stream: bool = False) -> Reply:
        self.requests_sent += 1
        number = self.requests_sent
        started = time.perf_counter()
        clock_start = self.retry.clock()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("-> %s %s %s", request.method, request.url, redact_headers(request.headers))
        response = await self._http.send(request, stream=True)
        usage = _header(response.headers, "sforce-limit-info", parse_limit_info)
        if usage is not None:
            self.api_usage = usage
        if (
            stream
            and response.is_success
            and "html" not in response.headers.get("content-type", "")
        ):
            return Reply(response.status_code, response.headers, b"", stream=response)
        try:
            body = await self._read_capped(response)
        finally:
            await response.aclose()
        self.reply_times.append((number, self.retry.clock() - clock_start))
        log.debug(
            "<- %s %s: %d, %d bytes, %.0f ms",
            request.method,
            request.url.path,
            response.status_code,
            len(body),
            (time.perf_counter() - started) * 1000,
        )
        return Reply(response.status_code, response.headers, body)

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """The decoded body, refusing anything over the cap without reading the rest of it."""
        cap = self.max_body_bytes
        declared = _header(response.headers, "content-length", _content_length)
        if declared is not None and declared > cap:
            raise ResponseFormatError(
                f"response body of {declared:,} bytes is over the {cap:,}-byte cap"
            )
        return await read_capped(response, cap)

    # ----------------------------------------------------------------------- sessions

    def _session_error(self, reply: Reply, root: Root) -> ApiError | None:
        """1.0 says 400 InvalidSessionId; REST and 2.0 say 401 (INVALID_SESSION_ID)."""
        if reply.status == 401:
            error = reply.error()
            if isinstance(error, InvalidSessionError):
                return error
            code = error.code or "INVALID_SESSION_ID"
            return InvalidSessionError(401, code, error.server_message)
        if reply.status == 400:
            error = reply.error()  # cached: the caller raises this same object otherwise
            if isinstance(error, InvalidSessionError):
                return error
        return None

    async def _renew_session(self, failed_generation: int, expired: ApiError) -> None:
        """One re-authentication for every request that saw the same session expire.

        Each request remembers the generation its token came from; under the lock, a request
        whose generation is already stale just retries with the newer session. A request that
        waited while an attempt failed shares that failure; a request that comes later makes
        a new attempt (the user may have fixed the login meanwhile; how often the login
        endpoint is asked is the hook's and the caller's business). The sign-in itself runs
        as its own task: a request cancelled while waiting for it (its sibling listing
        failed, say) does not cancel the sign-in the others need."""
        ticket = self._reauth_done
        async with self._reauth_lock:
            if self._generation != failed_generation:
                return
            if self._reauth_failure is not None and self._reauth_failure[0] > ticket:
                raise self._reauth_failure[1]
            if self._reauthenticate_hook is None:
                raise expired
            if self._reauth_task is None:
                log.info("session expired; signing in again")
                task = asyncio.ensure_future(self._reauthenticate(self._reauthenticate_hook))
                task.add_done_callback(_retrieve)
                self._reauth_task = task
            await asyncio.shield(self._reauth_task)

    async def _reauthenticate(self, hook: ReauthHook) -> None:
        try:
            try:
                fresh = await hook()
            except Exception as exc:
                reason = str(exc) if isinstance(exc, BulkError) else _describe(exc)
                if isinstance(exc, ReauthenticationError) and exc.says_fix:
                    # The sign-in's own words: what failed and the command that fixes it.
                    failure = ReauthenticationError(redact(reason), says_fix=True)
                else:
                    failure = ReauthenticationError(
                        f"the session expired and signing in again failed: {redact(reason)}"
                    )
                self._reauth_done += 1
                self._reauth_failure = (self._reauth_done, failure)
                raise failure from None
            self._reauth_done += 1
            register_secret(fresh.session_id)
            self.connection = fresh
            self._generation += 1
        finally:
            self._reauth_task = None


@dataclass(slots=True)
class _Attempts:
    sending: bool = False  # an attempt has begun sending: the request may have left


def _content_length(value: str) -> int | None:
    if not _CONTENT_LENGTH.fullmatch(value.strip()):
        raise ValueError("not a length")
    return int(value)


def _header(headers: httpx.Headers, name: str, parse: Callable[[str], T | None]) -> T | None:
    """A header's parsed value, or None when it is absent or cannot be read: a header we
    cannot read never fails an exchange (the answer itself may be fine)."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return parse(value)
    except Exception as exc:  # any parser bug too: a header is never worth an exchange
        log.info("ignored an unreadable %s header (%s)", name, type(exc).__name__)
        return None


def _retrieve(task: asyncio.Future[None]) -> None:
    """Mark a sign-in's failure as seen even if every request waiting for it was cancelled."""
    if not task.cancelled():
        task.exception()


def _transient(reply: Reply) -> bool:
    """5xx, or the HTML maintenance page (Salesforce serves it with 200 or 503)."""
    if reply.status >= 500:
        return True
    return reply.is_html and not 400 <= reply.status < 500


def _give_up_error(reply: Reply) -> BulkError:
    if reply.is_html:
        return ResponseFormatError(
            "the server sent an HTML page instead of API data (Salesforce maintenance or a proxy)"
        )
    # A TransportError (errors.py: "5xx … no usable answer"), but with what the server said.
    error = reply.error()
    said = f": {error.message}" if error.code or reply.body.strip() else ""
    return TransportError(f"the server answered HTTP {reply.status}{said}")


def _after(failure: BulkError, attempts: int) -> BulkError:
    """The last failure, saying how often we tried (ApiErrors keep their code and status)."""
    if attempts > 1:
        failure.message = f"{failure.message} (after {attempts} attempts)"
        failure.args = (failure.message,)
    return failure


def environment_client(verify: ssl.SSLContext, **options: Any) -> httpx.AsyncClient:
    """An httpx client that goes through the environment's proxies, as every request bulktui
    makes must (the API's and the logins': a jump host often reaches Salesforce only through
    HTTPS_PROXY). httpx builds the transport and, from HTTPS_PROXY/ALL_PROXY/NO_PROXY, the
    proxy transports; all of them get this one context (a transport passed in would turn
    environment proxies off). An SSLContext also means httpx never reads
    SSL_CERT_FILE/SSL_CERT_DIR: --ca-bundle is the only way to trust another CA. Loopback (the
    emulator) never goes through a proxy. Call ``check_proxy_environment`` first."""
    import httpx

    return httpx.AsyncClient(
        verify=verify,
        trust_env=True,
        mounts={f"all://{host}": None for host in _LOOPBACK},
        **options,
    )


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _is_certificate_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
