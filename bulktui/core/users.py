"""Who is logged in and the names behind the user ids the job list shows.

Asked once each: who-am-I at the first cycle, and each unknown creator id once (ids the
server does not name stay ids, unasked). A definite refusal (no access to userinfo or to
User) is remembered, so a restricted user does not pay for it every cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from bulktui.api.models import Identity, JobInfo
from bulktui.core.faults import FatalFault, FaultKind, classify, describe
from bulktui.core.ports import PollingClient

log = logging.getLogger(__name__)


class UserDirectory:
    def __init__(self) -> None:
        self.identity: Identity | None = None
        self._identity_refused = False
        self._names: dict[str, str] = {}
        self._tried: set[str] = set()
        self.version = 0  # moves whenever a name is added
        self._frozen: tuple[int, Mapping[str, str]] | None = None

    @property
    def needs_identity(self) -> bool:
        """Who-am-I is still worth asking (not known, not refused for good)."""
        return self.identity is None and not self._identity_refused

    @property
    def names(self) -> Mapping[str, str]:
        """A read-only copy, rebuilt only when a name was added (snapshots share it)."""
        if self._frozen is None or self._frozen[0] != self.version:
            self._frozen = (self.version, MappingProxyType(dict(self._names)))
        return self._frozen[1]

    def add(self, names: Mapping[str, str]) -> None:
        fresh = {k: v for k, v in names.items() if self._names.get(k) != v}
        if fresh:
            self._names.update(fresh)
            self.version += 1

    async def load_identity(self, client: PollingClient) -> None:
        """Who-am-I, once. Raises FatalFault on quota or authentication errors."""
        if self.identity is not None or self._identity_refused:
            return
        try:
            identity = await client.whoami()
        except Exception as error:
            kind = classify(error)
            if kind in (FaultKind.QUOTA, FaultKind.AUTH):
                raise FatalFault(error) from error
            if kind is FaultKind.OTHER:
                self._identity_refused = True  # e.g. no access to userinfo: do without
            log.info("who-am-I failed: %s", describe(error))
            return
        self.identity = identity
        if identity.user_id not in self._names and identity.display_name:
            self.add({identity.user_id: identity.display_name})

    def wanted(self, rows: Iterable[JobInfo]) -> list[str]:
        """Creator ids not yet named nor asked about."""
        return sorted(
            {r.created_by_id for r in rows if r.created_by_id} - self._names.keys() - self._tried
        )

    async def resolve(self, client: PollingClient, wanted: list[str]) -> None:
        """Ask for these ids' names. Raises FatalFault on quota or authentication errors."""
        if not wanted:
            return
        try:
            names = await client.user_names(wanted)
        except Exception as error:
            kind = classify(error)
            if kind in (FaultKind.QUOTA, FaultKind.AUTH):
                raise FatalFault(error) from error
            if kind is FaultKind.OTHER:
                self._tried.update(wanted)  # refused for good: show ids
            log.info("user names failed: %s", describe(error))
            return
        self._tried.update(wanted)  # ids the server did not name stay ids, unasked
        self.add(names)
