"""The five login methods: how each one gets a fresh access token, and how to fix it.

===========  =====================================================  =============================
method       a fresh token comes from                               secrets (keyring kinds)
===========  =====================================================  =============================
sf           ``sf org auth show-access-token`` / ``org display``    none (the token is cached)
jwt          a new RS256 assertion (PyJWT) → JWT-bearer grant       private-key (or the key file)
oauth        refresh_token grant                                    refresh-token, client-secret
password     SOAP login(), or the OAuth password grant (client id)  password, security-token,
                                                                    client-secret
session      nothing: a pasted session cannot be renewed            access-token (the session)
===========  =====================================================  =============================
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bulktui.api.connection import LOOPBACK_HOSTS
from bulktui.auth import endpoints
from bulktui.auth.endpoints import Token
from bulktui.auth.errors import KeyFileError, LoginRejectedError
from bulktui.auth.profiles import (
    DEFAULT_LOGIN_URL,
    DEFAULT_PROFILE,
    SANDBOX_LOGIN_URL,
    Method,
    Profile,
)
from bulktui.auth.secrets import SecretKind
from bulktui.auth.sfcli import SfRunner, run_sf, sf_login

JWT_LIFETIME_SECONDS = 180  # Salesforce accepts exp at most ~3 minutes ahead

SecretGetter = Callable[[SecretKind], Awaitable[str | None]]


# Which secrets each method needs, in the order `login` asks for them.
def secret_kinds(profile: Profile) -> tuple[SecretKind, ...]:
    match profile.method:
        case Method.SF:
            return ()
        case Method.JWT:
            return () if profile.key_file else (SecretKind.PRIVATE_KEY,)
        case Method.OAUTH:
            return (SecretKind.CLIENT_SECRET, SecretKind.REFRESH_TOKEN)
        case Method.PASSWORD:
            kinds = (SecretKind.PASSWORD, SecretKind.SECURITY_TOKEN)
            return (*kinds, SecretKind.CLIENT_SECRET) if profile.client_id else kinds
        case Method.SESSION:
            return (SecretKind.ACCESS_TOKEN,)


# The entries a profile cannot work without (optional ones like a client secret excluded).
def required_kinds(profile: Profile) -> tuple[SecretKind, ...]:
    match profile.method:
        case Method.OAUTH:
            return (SecretKind.REFRESH_TOKEN,)
        case Method.PASSWORD:
            return (SecretKind.PASSWORD,)
        case _:
            return secret_kinds(profile)


def caches_token(profile: Profile) -> bool:
    """Whether a fresh access token is cached in the keyring: every method but session, whose
    stored secret *is* the token. sf too, so that `sf` (a second or more of Node start-up) runs
    only when the cached token is refused."""
    return profile.method is not Method.SESSION


def fix_command(profile: Profile) -> str:
    """The exact command that gets a broken login working again."""
    p = "" if profile.name == DEFAULT_PROFILE else f" --profile {shlex.quote(profile.name)}"
    match profile.method:
        case Method.SF:
            alias = shlex.quote(profile.target_org or "ALIAS")
            return f"sf org login web --alias {alias}"
        case Method.JWT:
            key = shlex.quote(profile.key_file) if profile.key_file else "KEY.pem"
            return f"bulktui login{p} --method jwt --key-file {key}"
        case Method.OAUTH:
            return f"bulktui login{p} --method oauth --device"
        case Method.PASSWORD:
            return f"bulktui login{p} --method password"
        case Method.SESSION:
            return f"bulktui login{p} --method session"


def jwt_audience(login_url: str) -> str:
    """``aud`` for the JWT-bearer grant (docs/wire-facts.md §7.2): test.salesforce.com for
    sandboxes, login.salesforce.com for production and My Domain hosts, else the (community) URL."""
    host = (urlsplit(login_url).hostname or "").lower()
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return SANDBOX_LOGIN_URL
    if host in LOOPBACK_HOSTS or host.endswith(".salesforce.com"):
        return DEFAULT_LOGIN_URL
    return login_url.rstrip("/")


def load_private_key_pem(path: str) -> str:
    """The PEM text of an unencrypted private key file, checked to parse."""
    try:
        data = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror or exc}") from None
    return check_private_key(data, path)


def check_private_key(data: bytes, where: str) -> str:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(
            f"the key in {where} is encrypted; give bulktui an unencrypted copy "
            f"(openssl pkey -in {where} -out key.pem)"
        ) from None
    except Exception:
        raise KeyFileError(f"{where} is not a PEM private key") from None
    return data.decode("ascii", "replace")


@dataclass
class MethodContext:
    profile: Profile
    http: httpx.AsyncClient
    secret: SecretGetter
    wall_clock: Callable[[], float]
    sf: SfRunner = field(default=run_sf)
    known_instance_url: str | None = None  # sf: skip `org display` when this is known


@dataclass(frozen=True, slots=True)
class Fresh:
    """A fresh token, plus what the method learnt about the org (sf tells more)."""

    token: Token
    username: str | None = None
    api_version: str | None = None


class CannotRefreshError(LoginRejectedError):
    """The session method: a pasted session id cannot be renewed."""


async def fresh_token(ctx: MethodContext) -> Fresh:
    profile = ctx.profile
    match profile.method:
        case Method.SF:
            got = await sf_login(profile.target_org or "", ctx.sf, ctx.known_instance_url)
            return Fresh(Token(got.access_token, got.instance_url), got.username, got.api_version)
        case Method.JWT:
            return Fresh(await _jwt(ctx))
        case Method.OAUTH:
            return Fresh(await _refresh(ctx))
        case Method.PASSWORD:
            return Fresh(await _password(ctx))
        case Method.SESSION:
            raise CannotRefreshError(
                "the session id has expired or was revoked, and a pasted session cannot be "
                "renewed: paste a new one",
                code="INVALID_SESSION_ID",
            )


async def _need(ctx: MethodContext, kind: SecretKind) -> str:
    value = await ctx.secret(kind)
    if not value:
        raise LoginRejectedError(
            f"no {kind.value.replace('-', ' ')} is stored for profile {ctx.profile.name!r}"
        )
    return value


async def _jwt(ctx: MethodContext) -> Token:
    import jwt  # PyJWT; imported here to keep one-shot start-up light

    profile = ctx.profile
    if not profile.client_id or not profile.username:
        raise LoginRejectedError("the jwt method needs --client-id and --username")
    if profile.key_file:
        pem = await asyncio.to_thread(load_private_key_pem, profile.key_file)
    else:
        pem = await _need(ctx, SecretKind.PRIVATE_KEY)
    now = int(ctx.wall_clock())
    claims = {
        "iss": profile.client_id,
        "sub": profile.username,
        "aud": jwt_audience(profile.login_url),
        "exp": now + JWT_LIFETIME_SECONDS,
    }
    try:
        assertion = jwt.encode(claims, pem, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError):
        raise KeyFileError(
            f"cannot sign with the private key of profile {profile.name!r}"
            + (f" ({profile.key_file})" if profile.key_file else "")
        ) from None
    return await endpoints.token_request(
        ctx.http,
        profile.login_url,
        {"grant_type": endpoints.JWT_BEARER_GRANT, "assertion": assertion},
    )


async def _refresh(ctx: MethodContext) -> Token:
    profile = ctx.profile
    if not profile.client_id:
        raise LoginRejectedError("the oauth method needs --client-id")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": await _need(ctx, SecretKind.REFRESH_TOKEN),
        "client_id": profile.client_id,
    }
    secret = await ctx.secret(SecretKind.CLIENT_SECRET)
    if secret:
        form["client_secret"] = secret
    return await endpoints.token_request(ctx.http, profile.login_url, form)


async def _password(ctx: MethodContext) -> Token:
    profile = ctx.profile
    if not profile.username:
        raise LoginRejectedError("the password method needs --username")
    password = await _need(ctx, SecretKind.PASSWORD)
    password += await ctx.secret(SecretKind.SECURITY_TOKEN) or ""
    if profile.client_id:
        form = {
            "grant_type": "password",
            "client_id": profile.client_id,
            "username": profile.username,
            "password": password,
        }
        secret = await ctx.secret(SecretKind.CLIENT_SECRET)
        if secret:
            form["client_secret"] = secret
        return await endpoints.token_request(ctx.http, profile.login_url, form)
    return await endpoints.soap_login(
        ctx.http, profile.login_url, profile.effective_api_version, profile.username, password
    )
