"""Reading the job listings at a cost that does not grow with the org.

A listing is pages of up to 1,000 rows, and the API documents their order as indeterminate
(docs/wire-facts.md §5). Reading every page every cycle costs, at 20,000 jobs, 21 pages a
listing and two listings a cycle. So each full pass also learns, per listing, how its pages
are ordered by ``createdDate``:

- ``ascending``: new jobs land on the last page. A cycle reads again from the link of the
  last page it knows, and follows any new pages. A full pass then checks that this works: a
  job it finds that is older than a tail read but was not in it means the server's page
  links are snapshots, and that listing goes back to full passes.
- ``descending``: new jobs land on the first page. A cycle reads the first page of a fresh
  listing, and the next ones only while every row on a page is new.
- ``single`` (one page): that page is the whole listing.
- ``unknown``: no order seen; only a full pass tells.

A full pass runs every ``full_every`` seconds when the budget allows, at least every
``full_owed`` seconds whatever it says, whenever a listing's order is unknown (as often as
the budget allows), and after a tail read failed. Only a full
pass can show that a job vanished (purged); live jobs are read by their own GETs every cycle
whatever the listing does, so a changed job is never missed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol, cast

from bulktui.api.errors import ApiError
from bulktui.api.models import JobInfo
from bulktui.core.clock import Clock, seconds_between
from bulktui.core.faults import FaultKind, classify

Order = Literal["ascending", "descending", "single", "unknown"]
ENDPOINTS: tuple[str, ...] = ("ingest", "query")

FULL_EVERY = 600.0  # seconds between full passes when the budget allows
# However tight the budget, a full pass at least this often: purged jobs are found within
# the hour (at 20,000 jobs, 42 requests an hour).
FULL_OWED = 3600.0
FLOOR_GAP = 30.0  # a listing at least this often, whatever the budget: new jobs appear
# A job may show in listings a little after its createdDate: only a job older than a tail
# read by this much, found new by a full pass, proves the tail read missed it.
TAIL_SLACK = timedelta(seconds=60)


class ListedPageLike(Protocol):
    @property
    def endpoint(self) -> str: ...
    @property
    def link(self) -> str | None: ...
    @property
    def rows(self) -> tuple[JobInfo, ...]: ...
    @property
    def next_link(self) -> str | None: ...


class PagedListingClient(Protocol):
    """``BulkClient.list_job_pages``: a client without it is listed in full every time."""

    async def list_job_pages(
        self,
        endpoint: str,
        *,
        start: str | None = None,
        job_type: str | None = None,
        more: Callable[[ListedPageLike], bool] | None = None,
    ) -> Sequence[ListedPageLike]: ...


@dataclass(frozen=True, slots=True)
class Listing:
    rows: list[JobInfo]
    complete: bool  # every page of every listing: a job not in it may be gone
    pages: int  # pages read (requests)


@dataclass(slots=True)
class _Endpoint:
    name: str
    links: list[str | None] = field(default_factory=list)  # each page's link, last full pass
    order: Order = "unknown"
    tail_trusted: bool = True  # False: a full pass found a job a tail read should have shown
    tail_at: datetime | None = None  # when the last tail read began


def page_order(pages: Sequence[Sequence[JobInfo]]) -> Order:
    """How pages are ordered by createdDate: each page's dates all at or after (ascending) or
    before (descending) the previous page's. Rows without a date do not count."""
    spans = []
    for rows in pages:
        dates = [r.created_date for r in rows if r.created_date is not None]
        if dates:
            spans.append((min(dates), max(dates)))
    if len(pages) <= 1:
        return "single"
    if len(spans) < 2:
        return "unknown"
    pairs = list(itertools.pairwise(spans))
    if all(prev[1] <= nxt[0] for prev, nxt in pairs):
        return "ascending"
    if all(prev[0] >= nxt[1] for prev, nxt in pairs):
        return "descending"
    return "unknown"


class Lister:
    """Decides each cycle what of the listings to read, reads it, and learns their order."""

    def __init__(
        self,
        client: object,
        clock: Clock,
        *,
        full_every: float = FULL_EVERY,
        floor_gap: float = FLOOR_GAP,
        full_owed: float = FULL_OWED,
    ) -> None:
        self._plain = client  # has list_jobs(); maybe list_job_pages()
        paged = getattr(client, "list_job_pages", None)
        self._paged = cast(PagedListingClient, client) if callable(paged) else None
        self._clock = clock
        self.full_every = full_every
        self.floor_gap = floor_gap
        self.full_owed = max(full_owed, full_every)
        self._endpoints = {name: _Endpoint(name) for name in ENDPOINTS}
        self.full_at: datetime | None = None  # when the last full pass began
        self.listed_at: datetime | None = None  # when the last listing of any kind began
        self.full_pages = 0  # pages the last full pass read
        self.force_full = True

    # ----------------------------------------------------------------------- decisions

    @property
    def orders(self) -> dict[str, Order]:
        return {name: e.order for name, e in self._endpoints.items()}

    def _tail_works(self, e: _Endpoint) -> bool:
        if e.order == "single" or e.order == "descending":
            return True
        return e.order == "ascending" and e.tail_trusted

    def full_due(self, now: datetime) -> bool:
        if self._paged is None or self.force_full or self.full_at is None:
            return True
        if any(not self._tail_works(e) for e in self._endpoints.values()):
            return True
        return seconds_between(self.full_at, now) >= self.full_every

    def estimate(self, full: bool) -> int:
        """Requests the next listing of this kind will probably cost."""
        if full or self._paged is None:
            return max(len(ENDPOINTS), self.full_pages)
        return len(ENDPOINTS)

    def floor_due(self, now: datetime, requests: int) -> bool:
        """A listing is owed whatever the budget says: the last one is ``floor_gap`` old, or
        longer for a listing of more than two pages, so that the floor costs at most two
        requests per ``floor_gap`` (240 an hour at 30 s) however the pages are ordered."""
        if self.listed_at is None:
            return True
        gap = self.floor_gap * max(1.0, requests / len(ENDPOINTS))
        return seconds_between(self.listed_at, now) >= gap

    # ----------------------------------------------------------------------- reading

    async def read(
        self, allow: Callable[[int], bool], known: Callable[[str], bool]
    ) -> Listing | None:
        """This cycle's listing, or None when the budget says wait. ``allow(n)`` asks the
        budget for ``n`` listing requests; ``known(id)`` says whether a job was seen."""
        now = self._clock.now()
        first = self.full_at is None
        full = self.full_due(now)
        owed = self.full_at is not None and seconds_between(self.full_at, now) >= self.full_owed
        if full and not first and not owed and not allow(self.estimate(True)):
            if self._paged is not None and all(
                self._tail_works(e) for e in self._endpoints.values()
            ):
                full = False  # the budget has no room for a full pass: read the tails
            elif not self.floor_due(now, self.estimate(True)):
                return None
        tails = self.estimate(False)
        if not full and not allow(tails) and not self.floor_due(now, tails):
            return None
        self.listed_at = now
        if full:
            return await self._full(now, known)
        return await self._tails(now, known)

    async def _full(self, now: datetime, known: Callable[[str], bool]) -> Listing:
        if self._paged is None:
            listed = await self._plain.list_jobs()  # type: ignore[attr-defined]
            self._done_full(now, 2)
            return Listing(list(listed), complete=True, pages=2)
        paged = self._paged
        results = await _both([paged.list_job_pages(e.name) for e in self._endpoints.values()])
        rows: list[JobInfo] = []
        pages = 0
        for e, read in zip(self._endpoints.values(), results, strict=True):
            pages += len(read)
            order = page_order([p.rows for p in read])
            if e.order == "ascending" and order == "ascending" and e.tail_at is not None:
                # A job older than the last tail read, new to us now: the tail missed it.
                before = e.tail_at - TAIL_SLACK
                missed = any(
                    not known(r.id) and r.created_date is not None and r.created_date < before
                    for p in read
                    for r in p.rows
                )
                if missed:
                    e.tail_trusted = False
            e.order = order
            e.links = [p.link for p in read]
            for p in read:
                rows.extend(p.rows)
        self._done_full(now, pages)
        return Listing(_unique(rows), complete=True, pages=pages)

    def _done_full(self, now: datetime, pages: int) -> None:
        self.full_at = now
        self.full_pages = pages
        self.force_full = False

    async def _tails(self, now: datetime, known: Callable[[str], bool]) -> Listing:
        paged = self._paged
        assert paged is not None
        reads = [self._tail(paged, e, known) for e in self._endpoints.values()]
        try:
            results = await _both(reads)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # Whatever went wrong, the next listing starts afresh from the first page.
            self.force_full = True
            if not isinstance(error, ApiError) or classify(error) is not FaultKind.OTHER:
                raise  # quota, session, the network, a server fault: the cycle reports it
            # A page link the server no longer honours (400): list everything again, now.
            return await self._full(now, known)
        # A listing of one page was read whole (and any pages it grew).
        complete = all(e.order == "single" for e in self._endpoints.values())
        rows: list[JobInfo] = []
        pages = 0
        for e, read in zip(self._endpoints.values(), results, strict=True):
            pages += len(read)
            if e.order == "single":
                # The whole listing was read: it may have grown past one page since.
                e.order = page_order([p.rows for p in read])
                e.links = [p.link for p in read]
            elif e.order == "ascending" and read:
                e.tail_at = now
                # New pages: the next tail read starts at the newest.
                tail_links = [p.link for p in read]
                e.links = e.links[:-1] + tail_links if e.links else tail_links
            for p in read:
                rows.extend(p.rows)
        if complete:
            self._done_full(now, pages)
        return Listing(_unique(rows), complete=complete, pages=pages)

    async def _tail(
        self, paged: PagedListingClient, e: _Endpoint, known: Callable[[str], bool]
    ) -> Sequence[ListedPageLike]:
        if e.order == "ascending":
            return await paged.list_job_pages(e.name, start=e.links[-1] if e.links else None)
        if e.order == "descending":
            # The first page of a fresh listing; the next only while every row is new.
            return await paged.list_job_pages(
                e.name, more=lambda page: all(not known(r.id) for r in page.rows)
            )
        return await paged.list_job_pages(e.name)  # single


async def _both(
    calls: Sequence[Awaitable[Sequence[ListedPageLike]]],
) -> list[Sequence[ListedPageLike]]:
    """Both listings at once; the first failure cancels the other and is raised as is."""
    tasks = [asyncio.ensure_future(c) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _unique(rows: list[JobInfo]) -> list[JobInfo]:
    """1.0 jobs are in both listings: each id once, the first row seen."""
    seen: dict[str, JobInfo] = {}
    for row in rows:
        seen.setdefault(row.id, row)
    return list(seen.values())


if TYPE_CHECKING:  # mypy proves the real client fits
    from bulktui.api.client import BulkClient

    def _conforms(client: BulkClient) -> PagedListingClient:
        return client
