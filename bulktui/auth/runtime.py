"""Opening a stored profile for use: its settings, its keyring, its secrets, its Authenticator.

This is what the one-shot commands and the console call (through
``bulktui.cli.connection.resolve_connection``) before anything is drawn: it may ask for the
encrypted keyring's master password, or, for a ``--no-store`` profile, for the secrets
themselves. Nothing here prompts once a TUI runs.
"""

from __future__ import annotations

import httpx

from bulktui.api.connection import Connection
from bulktui.auth.authenticator import Authenticator, run_sync
from bulktui.auth.errors import KeyringUnavailableError
from bulktui.auth.methods import secret_kinds
from bulktui.auth.profiles import KeyringChoice, Method, Profile, ProfileStore
from bulktui.auth.prompt import Prompter
from bulktui.auth.secrets import SecretKind, SecretStore, open_store

SECRET_LABELS: dict[SecretKind, tuple[str, bool]] = {  # label, optional
    SecretKind.PASSWORD: ("password", False),
    SecretKind.SECURITY_TOKEN: ("security token", True),
    SecretKind.CLIENT_SECRET: ("client secret (consumer secret)", True),
    SecretKind.REFRESH_TOKEN: ("refresh token", False),
    SecretKind.PRIVATE_KEY: ("private key", False),
    SecretKind.ACCESS_TOKEN: ("session id", False),
}


def store_for(profile: Profile, prompter: Prompter, *, command: str | None = None) -> SecretStore:
    """The keyring a profile's secrets (and cached token) live in. An sf profile stores only
    the cached token, so on a host without a keyring it runs with memory instead: `sf` is then
    asked for a token on every run, as it was before tokens were cached."""
    try:
        return open_store(
            profile.keyring,
            ask_master_password=prompter.master_password,
            command=command or f"bulktui login --profile {profile.name} --method {profile.method}",
            backend_hint=profile.keyring_backend,
        )
    except KeyringUnavailableError:
        if profile.method is Method.SF:
            return SecretStore.memory()
        raise


def ask_secrets(
    profile: Profile, prompter: Prompter, store: SecretStore, kinds: tuple[SecretKind, ...]
) -> None:
    for kind in kinds:
        label, optional = SECRET_LABELS[kind]
        if kind is SecretKind.PASSWORD and profile.username:
            label = f"password for {profile.username}"
        value = prompter.secret(label, optional=optional)
        if value:
            store.set(profile.name, kind, value)


def open_profile(
    name: str | None,
    *,
    api_version: str | None = None,
    ca_file: str | None = None,
    prompter: Prompter | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    profiles: ProfileStore | None = None,
    **authenticator_options: object,
) -> Authenticator:
    """The Authenticator of a stored profile (``None``: the default profile)."""
    profiles = profiles or ProfileStore()
    profile = profiles.get(name)
    prompter = prompter or Prompter(
        no_terminal_hint=f"profile {profile.name!r} keeps no secrets (--no-store), so they are "
        "asked for on every run; run from a terminal"
    )
    store = store_for(profile, prompter)
    if profile.keyring is KeyringChoice.NONE and profile.method is not Method.SF:
        kinds = tuple(k for k in secret_kinds(profile) if k is not SecretKind.PRIVATE_KEY)
        ask_secrets(profile, prompter, store, kinds)
    return Authenticator(
        profile,
        store,
        api_version=api_version,
        ca_file=ca_file,
        transport=transport,
        **authenticator_options,  # type: ignore[arg-type]
    )


def connect(
    name: str | None,
    *,
    api_version: str | None = None,
    ca_file: str | None = None,
    prompter: Prompter | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[Connection, Authenticator]:
    """Open a profile and get its first connection (the cached token when there is one)."""
    auth = open_profile(
        name, api_version=api_version, ca_file=ca_file, prompter=prompter, transport=transport
    )
    connection = run_sync(auth.connection)
    return connection, auth
