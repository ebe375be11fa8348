"""One rule for every paged call (job listings, REST query ``nextRecordsUrl``, Bulk 2.0 query
``Sforce-Locator``): never ask for the same page twice, and stop after a bounded number of
pages. A server that hands out endless distinct next-page links would otherwise cost requests
forever (about 23 a second)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bulktui.api.errors import ResponseFormatError

# 1,000 pages of 1,000 job-list rows is a million jobs: far past what a 7-day listing holds.
MAX_PAGES = 1000


@dataclass(slots=True)
class PageGuard:
    """Call ``next(link)`` with each next-page link (URL or locator) before following it.

    ``what`` names the listing in the one-line error ("the job list")."""

    what: str
    max_pages: int = MAX_PAGES
    pages: int = 1  # the first page has been asked for when a guard is made
    _seen: set[str] = field(default_factory=set)

    def next(self, link: str) -> str:
        """``link``, or ResponseFormatError when it repeats a page or the cap is reached."""
        if link in self._seen:
            raise ResponseFormatError(f"{self.what} repeats the page {link[:200]}")
        if self.pages >= self.max_pages:
            raise ResponseFormatError(
                f"{self.what} did not end after {self.max_pages:,} pages; stopped there"
            )
        self._seen.add(link)
        self.pages += 1
        return link
