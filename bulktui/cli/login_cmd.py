"""``bulktui login``, ``bulktui profiles``, ``bulktui logout``: stored org logins.

Settings go to the profiles TOML file; secrets only to the keyring (or nowhere, with
``--no-store``). Secrets are read from a no-echo prompt or, with ``--secret-stdin``, one per line
from standard input; never from the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bulktui.api.connection import Connection, InsecureUrlError, ReauthHook, check_url
from bulktui.auth import endpoints
from bulktui.auth.authenticator import Authenticator
from bulktui.auth.errors import (
    AuthInputError,
    KeyringAccessError,
    KeyringUnavailableError,
    LoginRejectedError,
)
from bulktui.auth.methods import (
    caches_token,
    load_private_key_pem,
    required_kinds,
    secret_kinds,
)
from bulktui.auth.profiles import (
    SANDBOX_LOGIN_URL,
    KeyringChoice,
    Method,
    Profile,
    ProfileStore,
    check_login_url,
    check_profile_name,
    merged,
)
from bulktui.auth.prompt import MASTER_PASSWORD_ENV, Prompter
from bulktui.auth.runtime import ask_secrets, store_for
from bulktui.auth.secrets import SecretKind, SecretStore, backend_name, open_store
from bulktui.cli.common import UsageError, fail
from bulktui.cli.output import cell, emit, table
from bulktui.text import printable

SOAP_WARNING = (
    "warning: SOAP login() is legacy: Salesforce removed it from API 65.0 and retires it in "
    "Summer '27 (new orgs have it off). Prefer --method jwt, oauth or sf, or add --client-id "
    "to use the OAuth username-password grant."
)

LOGIN_EPILOG = f"""\
methods:
  sf        reuse a Salesforce CLI login: --target-org ALIAS (only its access token is cached)
  jwt       JWT bearer: --client-id, --username, --key-file KEY.pem [--key-in-keyring]
  oauth     refresh token + client id/secret: --client-id, then --device (shows a code to
            enter on any machine; right over SSH) or paste a refresh token
  password  SOAP login(): --username (password and security token are asked for);
            with --client-id, the OAuth username-password grant (client secret asked too)
  session   --instance-url URL, and a session id that is asked for; cannot be renewed

secrets are asked for without echo; with --secret-stdin, one per line in this order:
  password: password, security token (empty line if none), client secret (with --client-id)
  oauth:    client secret (empty line if none), refresh token (not with --device)
  session:  session id

no OS keyring (a headless server)? use --keyring encrypted-file (master password asked, or
${MASTER_PASSWORD_ENV}), --no-store, or a Secret Service: see docs/credentials.md.

examples:
  bulktui login --profile prod --method oauth --client-id 3MVG9... --device
  bulktui login --profile dev --method sf --target-org dev-alias
  bulktui login --check --profile prod
"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "login",
        help="create or update a login profile and prove it works",
        description="Create or update a login profile, and prove it works with one API call.",
        epilog=LOGIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", default=argparse.SUPPRESS, metavar="NAME", help="profile name")
    p.add_argument("--method", choices=[m.value for m in Method], help="how to log in")
    p.add_argument("--check", action="store_true", help="verify a stored login, change nothing")
    p.add_argument("--login-url", metavar="URL", help="login host or My Domain URL")
    p.add_argument("--sandbox", action="store_true", help=f"log in at {SANDBOX_LOGIN_URL}")
    p.add_argument("--instance-url", default=argparse.SUPPRESS, metavar="URL", help="(session)")
    p.add_argument("--username", metavar="USER", help="(jwt, password)")
    p.add_argument("--client-id", metavar="ID", help="connected app consumer key")
    p.add_argument("--key-file", metavar="FILE", help="(jwt) PEM private key")
    p.add_argument(
        "--key-in-keyring",
        action="store_true",
        help="(jwt) copy the key from --key-file into the keyring instead of remembering the path",
    )
    p.add_argument("--target-org", metavar="ALIAS", help="(sf) the CLI's alias or username")
    p.add_argument("--device", action="store_true", help="(oauth) use the device flow")
    p.add_argument("--api-version", default=argparse.SUPPRESS, metavar="X.Y")
    p.add_argument("--ca-bundle", default=argparse.SUPPRESS, metavar="FILE")
    p.add_argument(
        "--secret-stdin", action="store_true", help="read secrets from stdin, one per line"
    )
    p.add_argument(
        "--keyring",
        choices=[KeyringChoice.SYSTEM.value, KeyringChoice.ENCRYPTED_FILE.value],
        help="where secrets live (default: the OS keyring)",
    )
    p.add_argument(
        "--no-store", action="store_true", help="keep secrets for this run only; ask every run"
    )
    p.add_argument(
        "--default", action="store_true", dest="make_default", help="make this the default"
    )
    p.set_defaults(handler=run_login)

    p = sub.add_parser(
        "profiles",
        help="list login profiles (never a secret)",
        description="List login profiles: method, user, instance, and whether secrets are "
        "stored. Secrets are never shown.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_profiles)

    p = sub.add_parser(
        "logout",
        help="remove a profile's secrets from the keyring",
        description="Remove a profile's keyring entries (secrets and the cached token); with "
        "--forget, its settings too.",
    )
    p.add_argument("--profile", default=argparse.SUPPRESS, metavar="NAME", help="profile name")
    p.add_argument("--forget", action="store_true", help="also delete the profile's settings")
    p.set_defaults(handler=run_logout)


# -- helpers --------------------------------------------------------------------------------


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def _input_error(exc: AuthInputError) -> UsageError:
    return UsageError(str(exc))


def _keyring_trouble(exc: KeyringUnavailableError) -> int:
    fail(str(exc), 2)
    if exc.advice:
        _err(exc.advice)
    return 2


def _command_line(args: argparse.Namespace, name: str) -> str:
    """The login command as typed (no secrets can be in it), for the headless advice."""
    parts = ["bulktui", "login", "--profile", name]
    if getattr(args, "method", None):
        parts += ["--method", args.method]
    for flag in ("login_url", "username", "client_id", "key_file", "target_org"):
        value = getattr(args, flag, None)
        if value:
            parts += [f"--{flag.replace('_', '-')}", value]
    for flag in ("sandbox", "device", "key_in_keyring", "secret_stdin"):
        if getattr(args, flag, False):
            parts.append(f"--{flag.replace('_', '-')}")
    return " ".join(shlex.quote(p) for p in parts)


async def _verify(connection: Connection, auth: Authenticator) -> Mapping[str, Any]:
    async with endpoints.make_http(connection.ca_file, auth.transport) as http:
        return await endpoints.userinfo(http, connection.instance_url, connection.session_id)


def _user_of(identity: Mapping[str, Any]) -> str | None:
    """The user name the server reports, made safe: it is saved in profiles.toml and printed
    by every later `bulktui profiles`, so a control or format character in it is kept only as
    its visible escape."""
    for key in ("preferred_username", "username", "email"):
        value = identity.get(key)
        if isinstance(value, str) and value:
            return printable(value)
    return None


# -- login ----------------------------------------------------------------------------------


def run_login(args: argparse.Namespace) -> int:
    try:
        if args.check:
            return _check(args)
        return _login(args)
    except KeyringUnavailableError as exc:
        return _keyring_trouble(exc)
    except AuthInputError as exc:
        raise _input_error(exc) from None


def _new_profile(args: argparse.Namespace, name: str, existing: Profile | None) -> Profile:
    method_name = args.method or (existing.method.value if existing else None)
    if method_name is None:
        raise UsageError(
            f"profile {name!r} is new: say how to log in with --method "
            f"({', '.join(m.value for m in Method)})"
        )
    method = Method(method_name)
    base = existing if existing is not None and existing.method is method else None
    if args.no_store and args.keyring:
        raise UsageError("--no-store and --keyring exclude each other")
    if args.no_store:
        keyring: KeyringChoice | None = KeyringChoice.NONE
    elif args.keyring:
        keyring = KeyringChoice(args.keyring)
    else:
        keyring = existing.keyring if existing is not None else None
    if args.sandbox and args.login_url:
        raise UsageError("--sandbox and --login-url exclude each other")
    login_url = (
        SANDBOX_LOGIN_URL
        if args.sandbox
        else check_login_url(args.login_url)
        if args.login_url
        else None
    )
    if base is None and login_url is None and existing is not None:
        login_url = existing.login_url
    instance_url = getattr(args, "instance_url", None)
    if instance_url:
        instance_url = instance_url.rstrip("/")
        try:
            check_url(instance_url)
        except InsecureUrlError as exc:
            raise UsageError(f"--instance-url: {exc}") from None
    key_file = str(Path(args.key_file).expanduser().resolve()) if args.key_file else None
    api_version = getattr(args, "api_version", None)
    ca_file = getattr(args, "ca_bundle", None)
    if ca_file:
        ca_file = str(Path(ca_file).expanduser().resolve())
    profile = merged(
        base,
        name=name,
        method=method,
        login_url=login_url,
        instance_url=instance_url,
        username=args.username,
        client_id=args.client_id,
        key_file=key_file,
        target_org=args.target_org,
        api_version=api_version,
        keyring=keyring,
        ca_file=ca_file,
    )
    _check_settings(profile, args)
    return profile


def _check_settings(profile: Profile, args: argparse.Namespace) -> None:
    def need(value: str | None, flag: str) -> None:
        if not value:
            raise UsageError(f"--method {profile.method} needs {flag}")

    match profile.method:
        case Method.SF:
            need(profile.target_org, "--target-org ALIAS")
        case Method.JWT:
            need(profile.client_id, "--client-id")
            need(profile.username, "--username")
            if not profile.key_file:
                raise UsageError("--method jwt needs --key-file FILE")
        case Method.OAUTH:
            need(profile.client_id, "--client-id")
        case Method.PASSWORD:
            need(profile.username, "--username")
        case Method.SESSION:
            need(profile.instance_url, "--instance-url URL")
    if args.device and profile.method is not Method.OAUTH:
        raise UsageError("--device works with --method oauth only")
    if args.key_in_keyring and profile.method is not Method.JWT:
        raise UsageError("--key-in-keyring works with --method jwt only")
    if args.key_in_keyring and profile.keyring is KeyringChoice.NONE:
        raise UsageError("--key-in-keyring needs a keyring: drop --no-store")


def _login(args: argparse.Namespace) -> int:
    profiles = ProfileStore()
    name = check_profile_name(getattr(args, "profile", None) or profiles.read().default_name)
    existing = profiles.find(name)
    profile = _new_profile(args, name, existing)

    # The key is checked before anything is asked for.
    pem: str | None = None
    if profile.method is Method.JWT and profile.key_file:
        pem = load_private_key_pem(profile.key_file)

    prompter = Prompter(from_stdin=args.secret_stdin)
    # The keyring is resolved (and its master password asked) before any secret is typed.
    try:
        store = store_for(profile, prompter, command=_command_line(args, name))
    except KeyringUnavailableError as exc:
        return _keyring_trouble(exc)

    # Secrets go to memory first; the keyring gets them only once the login worked.
    scratch = SecretStore.memory()
    kinds = secret_kinds(profile)
    if args.device:
        kinds = tuple(k for k in kinds if k is not SecretKind.REFRESH_TOKEN)
    kinds = tuple(k for k in kinds if k is not SecretKind.PRIVATE_KEY)
    ask_secrets(profile, prompter, scratch, kinds)
    if args.key_in_keyring and pem is not None:
        scratch.set(name, SecretKind.PRIVATE_KEY, pem)
        profile = dataclasses.replace(profile, key_file=None)

    auth = Authenticator(profile, scratch, fast_sf=False)
    connection, identity = asyncio.run(_prove(profile, auth, scratch, device=args.device))

    username = profile.username or _user_of(identity)
    if auth.last_fresh is not None and profile.method is Method.SF and auth.last_fresh.username:
        username = printable(auth.last_fresh.username)
    api_version = profile.api_version
    if profile.method is Method.SF and auth.last_fresh is not None and not api_version:
        api_version = printable(auth.last_fresh.api_version or "") or None
    profile = merged(
        profile,
        instance_url=connection.instance_url,
        username=username,
        api_version=api_version,
    )

    recorded = backend_name(store.backend) if profile.keyring is KeyringChoice.SYSTEM else None
    profile = dataclasses.replace(profile, keyring_backend=recorded)
    # Persist: the settings first, then the secrets. A failure in between never leaves a
    # secret in the keyring with no profile pointing at it: the secrets written are removed
    # and the settings put back as they were.
    profiles.save(profile, make_default=args.make_default)
    try:
        _store_secrets(profile, scratch, store)
    except BaseException:
        with contextlib.suppress(Exception):
            if existing is None:
                profiles.delete(name)
            else:
                profiles.save(existing)
        raise

    where = (
        ("its access token cached in " if profile.method is Method.SF else "") + store.description
        if store.persistent
        else "nothing cached; sf is asked on every run"
        if profile.method is Method.SF
        else "not stored: asked for on every run (--no-store)"
    )
    user = username or "?"
    emit(
        f"Logged in to {cell(connection.instance_url)} as {cell(user)} with profile {name!r} "
        f"(method {profile.method}). Secrets: {where}. Settings: {profiles.path}\n"
    )
    if profile.method is Method.SESSION:
        emit("Note: a session id cannot be renewed; when it expires, log in again.\n")
    if profile.uses_soap_login:
        _err(SOAP_WARNING)
    return 0


def _store_secrets(profile: Profile, scratch: SecretStore, store: SecretStore) -> None:
    """The login's secrets (and its fresh access token) to the keyring, replacing old ones;
    on a failure, the entries written so far are removed again."""
    if not store.persistent:
        return
    written: list[SecretKind] = []
    try:
        for kind in SecretKind:
            value = scratch.get(profile.name, kind)
            if value:
                store.set(profile.name, kind, value)
                written.append(kind)
            elif kind is not SecretKind.ACCESS_TOKEN or not caches_token(profile):
                store.delete(profile.name, kind)
    except BaseException:
        for kind in written:
            with contextlib.suppress(Exception):
                store.delete(profile.name, kind)
        raise


async def _prove(
    profile: Profile, auth: Authenticator, scratch: SecretStore, *, device: bool
) -> tuple[Connection, Mapping[str, Any]]:
    """Log in with the scratch secrets and make one API call."""
    if profile.method is Method.SESSION:
        session = scratch.get(profile.name, SecretKind.ACCESS_TOKEN) or ""
        connection = Connection(
            profile.instance_url or "",
            session,
            profile.effective_api_version,
            profile.ca_file,
        )
        auth.current = connection
    elif device:
        connection = await _device_login(profile, auth, scratch)
    else:
        try:
            connection = await auth.login()
        except LoginRejectedError as exc:
            raise LoginRejectedError(f"login failed: {exc}", exc.code) from None
    try:
        identity = await _verify(connection, auth)
    except LoginRejectedError as exc:
        raise LoginRejectedError(f"the login worked but the API refused it: {exc}") from None
    return connection, identity


async def _device_login(profile: Profile, auth: Authenticator, scratch: SecretStore) -> Connection:
    client_id = profile.client_id or ""
    async with endpoints.make_http(profile.ca_file, auth.transport) as http:
        code = await endpoints.device_start(http, profile.login_url, client_id)
        _err(
            f"To log in, open {cell(code.verification_uri)} in a browser on any machine and "
            f"enter the code:  {cell(code.user_code)}"
        )
        _err("Waiting for approval (Ctrl-C to give up)...")
        token = await endpoints.device_poll(http, profile.login_url, client_id, code)
    if not token.refresh_token:
        raise LoginRejectedError(
            "the device login gave no refresh token: give the connected app the "
            "refresh_token (offline access) scope"
        )
    scratch.set(profile.name, SecretKind.REFRESH_TOKEN, token.refresh_token)
    return await auth.adopt(token)


# -- login --check --------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    profiles = ProfileStore()
    profile = profiles.get(getattr(args, "profile", None))
    prompter = Prompter(from_stdin=args.secret_stdin)
    store = store_for(profile, prompter)
    if profile.keyring is KeyringChoice.NONE:
        kinds = tuple(k for k in secret_kinds(profile) if k is not SecretKind.PRIVATE_KEY)
        ask_secrets(profile, prompter, store, kinds)
    missing = [
        k for k in required_kinds(profile) if store.persistent and not store.has(profile.name, k)
    ]
    if missing:
        names = ", ".join(k.value for k in missing)
        raise UsageError(
            f"profile {profile.name!r} has no {names} in {store.description}; "
            f"run: {Authenticator(profile, store).fix_command}"
        )
    auth = Authenticator(
        profile,
        store,
        api_version=getattr(args, "api_version", None),
        ca_file=getattr(args, "ca_bundle", None),
        fast_sf=False,
    )
    connection, identity, source = asyncio.run(_check_async(auth))
    user = _user_of(identity) or profile.username or "?"
    emit(
        f"Profile {profile.name!r} works: {cell(user)} at {cell(connection.instance_url)} "
        f"(method {profile.method}, {source}).\n"
    )
    return 0


async def _check_async(auth: Authenticator) -> tuple[Connection, Mapping[str, Any], str]:
    from bulktui.api.errors import ReauthenticationError

    try:
        cached = await auth.cached_connection()
        if cached is not None:
            try:
                return cached, await _verify(cached, auth), "cached token"
            except LoginRejectedError:
                if auth.profile.method is Method.SESSION:
                    raise LoginRejectedError(
                        f"the session id of profile {auth.profile.name!r} has expired or was "
                        f"revoked; a session cannot be renewed. Run: {auth.fix_command}"
                    ) from None
        connection = await auth.reauthenticate()
    except ReauthenticationError as exc:
        raise LoginRejectedError(str(exc)) from None
    return connection, await _verify(connection, auth), "fresh login"


# -- profiles -------------------------------------------------------------------------------


def _secret_status(profile: Profile) -> tuple[dict[str, bool], bool | None, str | None]:
    """({kind: present}, token cached?, problem) without ever reading a secret's value where
    the backend allows (the encrypted file is checked by entry name only)."""
    if profile.keyring is KeyringChoice.NONE:
        return {}, None, None
    try:
        if profile.keyring is KeyringChoice.ENCRYPTED_FILE:
            store = _encrypted_file_store(profile)
        else:
            store = open_store(profile.keyring, backend_hint=profile.keyring_backend)
        present = {k.value: store.has(profile.name, k) for k in secret_kinds(profile)}
        cached = store.has(profile.name, SecretKind.ACCESS_TOKEN)
        if profile.method is Method.SESSION:
            return present, None, None
        return present, cached, None
    except (KeyringUnavailableError, KeyringAccessError) as exc:
        if profile.method is Method.SF and isinstance(exc, KeyringUnavailableError):
            return {}, None, None  # sf then runs without a token cache (auth/runtime.py)
        return {}, None, str(exc)


def _encrypted_file_store(profile: Profile) -> SecretStore:
    """The encrypted file without its master password: enough to see or delete entries."""
    from bulktui.auth.secrets import encrypted_file_keyring

    return SecretStore(encrypted_file_keyring(), KeyringChoice.ENCRYPTED_FILE)


def run_profiles(args: argparse.Namespace) -> int:
    profiles = ProfileStore()
    try:
        data = profiles.read()
    except AuthInputError as exc:
        raise _input_error(exc) from None
    rows: list[dict[str, Any]] = []
    for name in sorted(data.profiles):
        p = data.profiles[name]
        present, cached, problem = _secret_status(p)
        rows.append(
            {
                "name": name,
                "default": name == data.default_name,
                "method": p.method.value,
                "username": p.username,
                "instance_url": p.instance_url,
                "login_url": p.login_url,
                "api_version": p.effective_api_version,
                "client_id": p.client_id,
                "key_file": p.key_file,
                "target_org": p.target_org,
                "keyring": p.keyring.value,
                "secrets": present,
                "token_cached": cached,
                "problem": problem,
            }
        )
    if args.json:
        emit(json.dumps({"config_file": str(profiles.path), "profiles": rows}, indent=2) + "\n")
        return 0
    if not rows:
        emit(f"No profiles yet ({profiles.path}). Create one with `bulktui login --method ...`.\n")
        return 0
    lines = [
        [
            "*" if row["default"] else "",
            cell(row["name"]),
            cell(row["method"]),
            cell(row["username"] or "-"),
            cell(row["instance_url"] or "-"),
            cell(_secrets_text(row)),
        ]
        for row in rows
    ]
    emit(table(["", "PROFILE", "METHOD", "USER", "INSTANCE", "SECRETS"], lines))
    emit(f"(* default; settings in {cell(profiles.path)})\n")
    return 0


def _secrets_text(row: Mapping[str, Any]) -> str:
    if row["keyring"] == KeyringChoice.NONE.value:
        if row["method"] == Method.SF.value:
            return f"none needed (sf alias {row['target_org']}); no token cache (--no-store)"
        return "asked for on every run (--no-store)"
    if row["problem"]:
        return f"unknown: {row['problem']}"
    parts = [f"{kind} {'yes' if ok else 'MISSING'}" for kind, ok in row["secrets"].items()]
    if row["method"] == Method.SF.value:
        parts.insert(0, f"none needed (sf alias {row['target_org']})")
    if row["token_cached"] is not None:
        parts.append("token cached" if row["token_cached"] else "no cached token")
    where = " (encrypted file)" if row["keyring"] == KeyringChoice.ENCRYPTED_FILE.value else ""
    return ", ".join(parts) + where


# -- logout ---------------------------------------------------------------------------------


def run_logout(args: argparse.Namespace) -> int:
    profiles = ProfileStore()
    try:
        profile = profiles.get(getattr(args, "profile", None))
    except AuthInputError as exc:
        raise _input_error(exc) from None
    removed: list[SecretKind] = []
    if profile.keyring is not KeyringChoice.NONE:
        try:
            if profile.keyring is KeyringChoice.ENCRYPTED_FILE:
                store = _encrypted_file_store(profile)  # deleting needs no master password
            else:
                store = open_store(profile.keyring, backend_hint=profile.keyring_backend)
            removed = store.delete_all(profile.name)
        except KeyringUnavailableError as exc:
            return _keyring_trouble(exc)
        except AuthInputError as exc:
            raise _input_error(exc) from None
    what = ", ".join(k.value for k in removed) if removed else "no keyring entries"
    message = f"Removed {what} of profile {profile.name!r}"
    if args.forget:
        profiles.delete(profile.name)
        message += f", and its settings from {profiles.path}"
    emit(message + ".\n")
    return 0


# -- stored profiles for every other command (called by cli/connection.py) -------------------


def resolve_profile(
    args: argparse.Namespace, *, explicit: bool
) -> tuple[Connection, ReauthHook] | None:
    """The connection of ``--profile`` / ``BULKTUI_PROFILE`` (``explicit``), or else of the
    default profile when profiles exist; None when there is no profile to use. Secrets and the
    encrypted keyring's master password are asked for here, before any TUI starts."""
    from bulktui.auth.runtime import connect

    name: str | None = getattr(args, "profile", None) if explicit else None
    try:
        if not explicit:
            data = ProfileStore().read()
            if data.default_name not in data.profiles:
                return None
        connection, auth = connect(
            name,
            api_version=getattr(args, "api_version", None),
            ca_file=getattr(args, "ca_bundle", None),
        )
    except KeyringUnavailableError as exc:
        raise UsageError(
            f"{exc}; run `bulktui login --profile {name or 'NAME'} ...` for the choices"
        ) from None
    except AuthInputError as exc:
        raise _input_error(exc) from None
    return connection, auth.reauthenticate
