"""Where and as whom to talk to an org. The session id is a secret: it never appears in repr."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_API_VERSION = "64.0"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class InsecureUrlError(ValueError):
    """An http:// URL to a host that is not loopback."""


@dataclass(frozen=True, slots=True)
class Connection:
    instance_url: str
    session_id: str = field(repr=False)
    api_version: str = DEFAULT_API_VERSION
    ca_file: str | None = None  # an extra CA bundle to trust; verification is never turned off

    def __post_init__(self) -> None:
        check_url(self.instance_url)

    @property
    def base_url(self) -> str:
        return self.instance_url.rstrip("/")

    @property
    def async_root(self) -> str:
        """Bulk 1.0 base: ``/services/async/{version}``."""
        return f"{self.base_url}/services/async/{self.api_version}"

    @property
    def data_root(self) -> str:
        """REST / Bulk 2.0 base: ``/services/data/v{version}``."""
        return f"{self.base_url}/services/data/v{self.api_version}"


def check_url(url: str) -> None:
    """https only, except for loopback hosts (the emulator)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InsecureUrlError(f"{url!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise InsecureUrlError(f"refusing plain http to {parts.hostname}: use https")


# Called when the server says the session expired; returns a connection with a fresh token.
ReauthHook = Callable[[], Awaitable[Connection]]
