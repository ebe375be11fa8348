"""The proxy variables in the environment, checked before httpx is loaded.

httpx reads ``HTTPS_PROXY``, ``ALL_PROXY`` and friends when it builds its client, and fails
there on one it cannot use: a URL that does not parse, a scheme it does not know, a
``socks5://`` proxy without its ``socks`` extra (socksio). bulktui builds that client with its
first request (the network stack loads late, docs/ARCHITECTURE.md), by which time a console
is open: the failure would be a refresh failing for ever. ``check_proxy_environment`` runs
when the client object is made instead, and refuses such a variable in one line.
"""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bulktui.api.errors import ProxySettingError

if TYPE_CHECKING:
    import httpx

__all__ = ["check_proxy_environment", "proxy_variables_for", "uses_proxy"]

_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")  # what httpx accepts


def _environment_proxies() -> dict[str, str]:
    """The proxy variables httpx will use, as urllib reads them on POSIX (lower case wins),
    by variable name; none when NO_PROXY is ``*``."""
    found: dict[str, str] = {}
    for scheme in ("all", "https", "http"):
        for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY"):
            value = os.environ.get(name)
            if value:
                found[name] = value
                break
    no_proxy = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    if "*" in (host.strip() for host in no_proxy.split(",")):
        return {}
    return found


def _proxy_problem(scheme: str, host: str | None, port: int | None) -> str | None:
    if scheme not in _PROXY_SCHEMES:
        return "its scheme is not one httpx supports"
    if not host:
        return "it names no host"
    if port == 0:
        return "its port is 0"
    return None


def check_proxy_environment() -> None:
    """Refuse a proxy variable httpx could not use: ``ProxySettingError`` naming the variable
    (never its value: a proxy URL may carry a password); for a socks5:// proxy without
    socksio, the ImportError httpx itself would raise (the CLI names the install)."""
    for name, value in _environment_proxies().items():
        url = value if "://" in value else f"http://{value}"  # as httpx reads it
        try:
            parts = urlsplit(url)
            why = _proxy_problem(parts.scheme.lower(), parts.hostname, parts.port)
        except ValueError:
            why = "it does not parse as a URL"
        if why is not None:
            # The value itself is never shown: a proxy URL may carry a password.
            raise ProxySettingError(
                f"{name} is not a proxy URL bulktui can use ({why}; expected "
                "http://, https:// or socks5://HOST:PORT); fix or unset it"
            )
        if parts.scheme.lower().startswith("socks") and importlib.util.find_spec("socksio") is None:
            raise ImportError(
                "a SOCKS proxy is set but socksio is not installed: pip install 'httpx[socks]'"
            )


def proxy_variables_for(scheme: str) -> list[str]:
    """The names of the set variables that can proxy a ``scheme`` URL (its own, then ALL_PROXY),
    as httpx reads them; never their values."""
    found = _environment_proxies()
    return [name for name in found if name.lower() in (f"{scheme.lower()}_proxy", "all_proxy")]


def uses_proxy(client: httpx.AsyncClient, url: httpx.URL) -> bool:
    """Whether ``client`` sends ``url`` through a proxy (NO_PROXY and loopback decided by httpx
    itself). httpx has no public way to ask: this reads its mount table, and httpx is pinned
    to 0.28 (``tests/api/test_proxies.py`` fails should that change)."""
    import httpcore

    transport = client._transport_for_url(url)
    pool = getattr(transport, "_pool", None)
    return isinstance(pool, httpcore.AsyncHTTPProxy | httpcore.AsyncSOCKSProxy)
