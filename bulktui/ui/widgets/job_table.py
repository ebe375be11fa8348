"""The job table: a virtual ``ScrollView`` that renders only the lines on screen.

Why not ``DataTable``: at 10,000 rows its add/measure pass freezes the loop for about a second
and any cell update repaints the whole widget (docs/textual-notes.md, "DataTable"). Here a
snapshot is applied by diffing ``JobView`` objects by job id; if the order is unchanged only the
changed rows that are on screen are repainted, line by line. The cursor is a job id, not an
index, so it stays on the same job through updates, new rows, filtering and re-sorting.

Rendered lines are cached by job id together with everything that decides how the line looks
(the row's cells, the relative time, the cursor, the width, the styles): a line is rendered
again only when its row changed, as toolong's log view does.

Every server string is put in a ``Text`` as plain text (never markup) after ``format.safe``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bulktui.api.enums import JobState
from bulktui.core.journal_preview import JournalPreview
from bulktui.core.snapshot import JobView, view_of
from bulktui.ui import format as fmt

Align = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int  # preferred
    min_width: int
    align: Align = "left"
    short: str = ""  # title when the column is narrower than ``title``


# In the order they are kept when the terminal is narrow (first = kept longest).
COLUMNS: tuple[Column, ...] = (
    # 15 characters when space is short: the Setup page shows 15-character job ids too.
    Column("id", "job id", 18, 15),
    Column("objop", "object operation", 20, 12, short="object op"),
    Column("state", "state", 16, 11),
    Column(
        "kind", "type", 8, 3, short="api"
    ),  # narrow: "api" over V1 / V2 / V2Q  # V1 / V2 / V2 query: the Setup page's "Job Type"
    Column("failed", "failed", 13, 10, "right"),
    Column("processed", "processed", 11, 5, "right", short="proc."),
    Column("created", "created", 8, 4, "right", short="age"),
    Column("batches", "batches", 9, 7, "right"),
    Column("created_by", "created by", 14, 10, short="by"),
    Column("throughput", "rec/s", 8, 7, "right"),
)
# The order they appear on screen, left to right.
DISPLAY_ORDER = (
    "id",
    "objop",
    "state",
    "kind",
    "created_by",
    "created",
    "batches",
    "processed",
    "failed",
    "throughput",
)
# The order columns grow towards their preferred width once all that fit are chosen.
GROW_ORDER = (
    "objop",  # object and operation first: a wrong object is what the user must spot
    "id",
    "kind",
    "state",  # "► UploadComplete" is 16
    "processed",
    "failed",
    "created",
    "batches",
    "throughput",
    "created_by",
    "objop",
)
_BY_KEY = {c.key: c for c in COLUMNS}


def layout_columns(width: int) -> list[tuple[Column, int]]:
    """The columns that fit ``width`` cells, with their widths, in display order."""
    chosen: list[Column] = []
    used = -1  # n columns need n-1 separators
    for column in COLUMNS:
        if used + 1 + column.min_width <= width:
            chosen.append(column)
            used += 1 + column.min_width
    widths = {c.key: c.min_width for c in chosen}
    spare = width - used
    for key in GROW_ORDER:
        if key in widths and spare > 0:
            grow = min(spare, _BY_KEY[key].width - widths[key])
            widths[key] += grow
            spare -= grow
    if spare > 0 and "objop" in widths:
        widths["objop"] += spare
    return [(_BY_KEY[k], widths[k]) for k in DISPLAY_ORDER if k in widths]


# ----------------------------------------------------------------------------- sorting

SortKey = Callable[[JobView, Mapping[str, str]], Any]


def _created(v: JobView, _n: Mapping[str, str]) -> Any:
    return (v.job.created_date.timestamp() if v.job.created_date else 0.0, v.id)


_STATE_ORDER = {
    JobState.OPEN: 0,
    JobState.UPLOAD_COMPLETE: 1,
    JobState.IN_PROGRESS: 1,
    JobState.CLOSED: 2,
    JobState.FAILED: 3,
    JobState.ABORTED: 4,
    JobState.JOB_COMPLETE: 5,
}


@dataclass(frozen=True, slots=True)
class SortSpec:
    key: str
    title: str
    natural_reverse: bool  # True: largest/newest first by default
    fn: SortKey


SORTS: tuple[SortSpec, ...] = (
    SortSpec("created", "created", True, _created),
    SortSpec(
        "state",
        "state",
        False,
        lambda v, _n: (
            9 if v.purged else 0 if fmt.is_live(v) else 1 if fmt.is_loading(v) else 2,
            _STATE_ORDER.get(v.job.state, 6) if v.job.state else 7,
        ),
    ),
    SortSpec(
        "objop",
        "object operation",
        False,
        lambda v, _n: ((v.job.object or "").lower(), str(v.job.operation or "")),
    ),
    SortSpec("processed", "processed", True, lambda v, _n: v.job.number_records_processed or 0),
    SortSpec(
        "failed",
        "failed",
        True,
        lambda v, _n: (fmt.failure_rate(v) or 0.0, v.job.number_records_failed or 0),
    ),
    SortSpec("throughput", "rec/s", True, lambda v, _n: fmt.finite(v.throughput) or 0.0),
    SortSpec("kind", "type", False, lambda v, _n: fmt.job_kind(v.job)),
    SortSpec(
        "created_by",
        "created by",
        False,
        lambda v, n: (n.get(v.job.created_by_id or "", v.job.created_by_id or "") or "").lower(),
    ),
    SortSpec("id", "job id", False, lambda v, _n: v.id),
)
SORT_BY_KEY = {s.key: s for s in SORTS}
_CREATED = "created"  # the creation time: its own column, and every other column's tie-break


@dataclass(slots=True)
class _Row:
    """What a row shows apart from the relative time, computed once per JobView."""

    view: JobView
    pending: str | None
    name: str
    cells: dict[str, Text]
    live: bool
    flagged: bool
    batches_flagged: bool  # a batch failed as a whole
    invalid: bool
    signature: tuple[object, ...] = ()

    def __post_init__(self) -> None:
        self.signature = self._signature()

    def _signature(self) -> tuple[object, ...]:
        """Everything that decides how the row looks, apart from the relative time."""
        view = self.view
        return (
            tuple(cell.plain for cell in self.cells.values()),
            self.live,
            self.flagged,
            self.batches_flagged,
            self.invalid,
            self.pending,
            view.purged,
            view.job.state,
            view.job.created_date,
        )


class JobTable(ScrollView, can_focus=True):
    """All jobs, one per line, with a header line and a cursor that follows a job id."""

    DEFAULT_CSS = """
    JobTable {
        height: 1fr;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        background: $background;
    }
    JobTable > .job-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    JobTable > .job-table--live { color: $job-live; text-style: bold; }
    JobTable > .job-table--done { color: $job-done; }
    JobTable > .job-table--purged { color: $job-purged; text-style: italic; }
    JobTable > .job-table--pending { color: $job-pending; text-style: bold; }
    JobTable > .job-table--flag { color: $job-flag; text-style: bold; }
    JobTable > .job-table--bad { color: $job-bad; }
    JobTable > .job-table--empty { color: $text-muted; }
    JobTable > .job-table--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    JobTable:focus > .job-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    /* 16 colours have no panel shade to set the header apart; no colour: the cursor reversed */
    JobTable:ansi > .job-table--header { text-style: bold underline; }
    JobTable:nocolor > .job-table--header { text-style: bold underline; }
    JobTable:nocolor > .job-table--cursor { text-style: reverse bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-table--header",
        "job-table--cursor",
        "job-table--live",
        "job-table--done",
        "job-table--flag",
        "job-table--bad",
        "job-table--pending",
        "job-table--purged",
        "job-table--empty",
    }

    class JobHighlighted(Message):
        """The cursor moved to another job (or to none)."""

        def __init__(self, job_id: str | None) -> None:
            super().__init__()
            self.job_id = job_id

    class JobChosen(Message):
        """Enter on a job."""

        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    class VisibleChanged(Message):
        """The rows on screen changed (a scroll, a resize, a new order): the poller reads the
        counts of these ended jobs, not of every job in the org."""

        def __init__(self, table: JobTable, job_ids: tuple[str, ...]) -> None:
            super().__init__()
            self.table = table
            self.job_ids = job_ids

        @property
        def control(self) -> JobTable:
            return self.table

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        threshold: float = 0.10,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.now = now
        self.threshold = threshold
        self._views: Mapping[str, JobView] = {}
        # Every job the journal holds, unparsed, until the poller's picture has them all:
        # rows for ids not in ``_views`` come from here, parsed when shown (JournalPreview).
        self._preview: JournalPreview | None = None
        self._preview_live: frozenset[str] = frozenset()
        self._names: Mapping[str, str] = {}
        self._pending: dict[str, str] = {}
        self._rows: dict[str, _Row] = {}
        self._search: dict[str, tuple[JobView, str | None, str]] = {}
        self._live: set[str] = set()  # jobs that can still change, kept up to date per update
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self.cursor_id: str | None = None
        self.sort_key = "created"
        self.sort_reversed = False  # relative to the column's natural direction
        self.filter_text = ""
        self.only_user: str | None = None
        self.empty_text = "no jobs yet"
        self._columns: list[tuple[Column, int]] = []
        self._columns_width = -1
        self._shown_ago: dict[str, str] = {}  # job id → relative time last painted
        # The screen may claim keys that arrive here (the filter box opening, see MainScreen).
        self.key_redirect: Callable[[events.Key], bool] | None = None
        # job id → (everything that decides the line's look, the rendered line)
        self._lines: LRUCache[str, tuple[tuple[object, ...], Strip]] = LRUCache(1024)
        # job id → (the JobView, {(sort column, descending): its sort value}): every sort the
        # user cycles through is computed once per JobView
        self._sort_values: dict[str, dict[str, Any]] = {}  # column -> job id -> value
        self._visible: tuple[str, ...] = ()  # the rows last said to be on screen
        self._rule_flags: frozenset[str] = frozenset()  # jobs a guard rule flagged

    # ------------------------------------------------------------------ data in

    @property
    def order(self) -> list[str]:
        """Job ids in display order (after filter and sort)."""
        return list(self._order)

    @property
    def live_count(self) -> int:
        return len(self._live) + sum(1 for i in self._preview_live if i not in self._views)

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def job_count(self) -> int:
        """Every job the table holds, shown or filtered out."""
        preview = self._preview
        if preview is None:
            return len(self._views)
        return len(self._views) + sum(1 for i in preview.ids if i not in self._views)

    def view(self, job_id: str) -> JobView | None:
        return view_of(self._views, self._preview, job_id)

    def _view(self, job_id: str) -> JobView:
        """A job the table holds (KeyError for one it does not)."""
        view = view_of(self._views, self._preview, job_id)
        if view is None:
            raise KeyError(job_id)
        return view

    def _holds(self, job_id: str) -> bool:
        return job_id in self._views or (self._preview is not None and job_id in self._preview)

    def _all_ids(self) -> list[str]:
        ids = list(self._views)
        preview = self._preview
        if preview is not None:
            views = self._views
            ids += [i for i in preview.ids if i not in views]
        return ids

    def update_jobs(
        self,
        views: Mapping[str, JobView],
        names: Mapping[str, str],
        pending: Mapping[str, str],
        preview: JournalPreview | None = None,
    ) -> None:
        """Apply a new picture of the jobs: repaint only what changed. ``preview``: the
        journal's jobs not yet in ``views``, shown until they are (a warm launch)."""
        if (
            views is self._views
            and preview is self._preview
            and names is self._names
            and dict(pending) == self._pending
        ):
            return  # the poller re-published the same jobs (e.g. only the selection moved)
        names_changed = dict(names) != dict(self._names)
        self._names = names
        old_views = self._views
        self._views = views
        pending = dict(pending)
        old_pending = self._pending
        self._pending = pending
        changed: list[str] = []
        reorder = names_changed or preview is not self._preview
        if preview is not self._preview:
            self._take_preview(preview)
        added = 0
        live = self._live
        sort = SORT_BY_KEY[self.sort_key].fn
        for job_id, v in views.items():
            old = old_views.get(job_id)
            if (
                (old is v or old == v)
                and not names_changed
                and pending.get(job_id) == old_pending.get(job_id)
            ):
                continue
            changed.append(job_id)
            if fmt.is_live(v):
                live.add(job_id)
            else:
                live.discard(job_id)
            if old is None:
                added += 1
                reorder = True
            elif not reorder and sort(old, names) != sort(v, names):
                reorder = True
        if len(old_views) > len(views) - added:  # some job ids went away
            reorder = True
            live.intersection_update(views)
        for job_id in list(self._rows):
            if not self._holds(job_id):
                del self._rows[job_id]
        columns = self._sort_values
        if names_changed:
            self._search.clear()
            columns.clear()
            self._prefill_created()
        held = self.job_count
        for values in columns.values():
            for job_id in changed:
                values.pop(job_id, None)
            if len(values) > held:  # jobs went away: forget their values too
                for job_id in [k for k in values if not self._holds(k)]:
                    del values[job_id]
        repaint: list[str] = []
        for job_id in changed:
            old_row = self._rows.pop(job_id, None)
            if reorder or old_row is None:
                continue
            # A new JobView does not always look different (e.g. only detail_at moved).
            if self._row(job_id).signature != old_row.signature:
                repaint.append(job_id)
        if not reorder and (self.filter_text or self.only_user):
            # a changed row may start or stop matching the filter
            for job_id in changed:
                if self._matches(job_id) != (job_id in self._index):
                    reorder = True
                    break
        if reorder:
            self._rebuild_order()
        else:
            self._refresh_rows(repaint)

    def _take_preview(self, preview: JournalPreview | None) -> None:
        """A new journal preview, or none any more: its rows' creation times are known
        without parsing (the default sort), and the few jobs that may be live are parsed
        now, so that the live count is right from the first frame."""
        old = self._preview
        self._preview = preview
        if old is not None:  # rows and sort values: update_jobs forgets jobs it no longer holds
            for job_id in old.ids:
                if not self._holds(job_id):
                    self._search.pop(job_id, None)
        if preview is None:
            self._preview_live = frozenset()
            return
        self._prefill_created()
        self._preview_live = frozenset(
            job_id for job_id in preview.maybe_live if fmt.is_live(preview.view(job_id))
        )

    def _prefill_created(self) -> None:
        preview = self._preview
        if preview is None:
            return
        values = self._sort_values.setdefault(_CREATED, {})
        views = self._views
        for job_id in preview.ids:
            if job_id not in views and job_id not in values:
                values[job_id] = preview.created_key(job_id)

    def set_sort(self, key: str, reversed_: bool) -> None:
        self.sort_key, self.sort_reversed = key, reversed_
        self._rebuild_order()

    def set_filter(self, text: str, only_user: str | None) -> None:
        self.filter_text, self.only_user = text, only_user
        self._rebuild_order()

    # ------------------------------------------------------------------ order

    def _row(self, job_id: str) -> _Row:
        row = self._rows.get(job_id)
        if row is None:
            row = self._rows[job_id] = self._make_row(self._view(job_id))
        return row

    def _make_row(self, view: JobView) -> _Row:
        job = view.job
        pending = self._pending.get(view.id)
        name = fmt.created_by(job, self._names)
        failed, flagged = fmt.failed_cell(view, self.threshold)
        if view.id in self._rule_flags:  # a guard rule flagged it: a glyph, not colour alone
            flagged = True
            if fmt.FLAG_GLYPH not in failed:
                failed = f"{failed} {fmt.FLAG_GLYPH}"
        state = fmt.job_state(view, pending)
        objop = fmt.object_operation(job)
        cells = {
            "id": Text(fmt.safe(view.id)),
            "objop": Text(objop),
            "state": Text(state),
            "created_by": Text(name),
            "kind": Text(fmt.job_kind(job)),
            "batches": Text(fmt.batch_progress(job)),
            "processed": Text(fmt.count(job.number_records_processed)),
            "failed": Text(failed),
            "throughput": Text(fmt.rate(view.throughput) if fmt.is_live(view) else fmt.DASH),
        }
        return _Row(
            view,
            pending,
            name,
            cells,
            fmt.is_live(view),
            flagged,
            fmt.whole_batches_failed(view) > 0,
            fmt.invalid_reason(job) is not None,
        )

    def _search_text(self, job_id: str) -> str:
        """Lower-case text the filter matches: id, object, operation, state, user, and the
        words people use for what a job is (live, running, failed, flagged, V2 query…)."""
        view = self._view(job_id)
        cached = self._search.get(job_id)
        pending = self._pending.get(job_id)
        if cached is not None and cached[0] is view and cached[1] == pending:
            return cached[2]
        job = view.job
        text = " ".join(
            (
                view.id,
                str(job.object or ""),
                str(job.operation or ""),
                fmt.job_state(view, pending),
                self._names.get(job.created_by_id or "", ""),
                job.created_by_id or "",
                *fmt.derived_words(view, self.threshold),
            )
        ).lower()
        self._search[job_id] = (view, pending, text)
        return text

    def _matches(self, job_id: str) -> bool:
        if self.only_user and self._view(job_id).job.created_by_id != self.only_user:
            return False
        if self.filter_text:
            text = self._search_text(job_id)
            return all(word in text for word in self.filter_text.lower().split())
        return True

    def _rebuild_order(self) -> None:
        spec = SORT_BY_KEY[self.sort_key]
        names = self._names
        old_index = self._index.get(self.cursor_id) if self.cursor_id else None
        screen_row = None if old_index is None else old_index - round(self.scroll_y)
        filtering = bool(self.filter_text or self.only_user)
        ids = [k for k in self._all_ids() if not filtering or self._matches(k)]
        descending = spec.natural_reverse != self.sort_reversed
        self._sort(ids, spec, descending, names)
        self._order = ids
        self._index = {k: i for i, k in enumerate(ids)}
        self._set_virtual_size()
        previous = self.cursor_id
        if not ids:
            self.cursor_id = None
        elif self.cursor_id not in self._index:
            # the job left the view (filtered out): stay at the same position
            self.cursor_id = ids[min(old_index or 0, len(ids) - 1)]
        new_index = self._index.get(self.cursor_id) if self.cursor_id else None
        if new_index is not None:
            if screen_row is not None and 0 <= screen_row < self._page_rows():
                self.scroll_to(y=max(0, new_index - screen_row), animate=False, immediate=True)
            self._scroll_cursor_into_view()
        self.refresh()
        self._note_visible()
        if previous != self.cursor_id:
            self.post_message(self.JobHighlighted(self.cursor_id))

    def set_rule_flags(self, job_ids: Collection[str]) -> None:
        """Jobs a guard rule flagged: their rows are marked like a failure flag."""
        flags = frozenset(job_ids)
        if flags == self._rule_flags:
            return
        changed = flags ^ self._rule_flags
        self._rule_flags = flags
        for job_id in changed:
            self._rows.pop(job_id, None)
        self._refresh_rows([job_id for job_id in changed if job_id in self._index])

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._note_visible()

    def _note_visible(self) -> None:
        ids = tuple(self.visible_ids())
        if ids != self._visible:
            self._visible = ids
            self.post_message(self.VisibleChanged(self, ids))

    def _sort(
        self, ids: list[str], spec: SortSpec, descending: bool, names: Mapping[str, str]
    ) -> None:
        """Sort ``ids`` in place by the column, ties newest first whichever way the column
        goes: by creation time first (newest first), then by the column's value alone.
        Python's sort is stable, with ``reverse`` too, so the second pass keeps the first's
        order among equal values."""
        if spec.key == "created":
            ids.sort(key=self._column(_CREATED, _created, names, ids), reverse=descending)
            return
        ids.sort(key=self._column(_CREATED, _created, names, ids), reverse=True)
        ids.sort(key=self._column(spec.key, spec.fn, names, ids), reverse=descending)

    def _column(
        self, key: str, fn: SortKey, names: Mapping[str, str], ids: list[str]
    ) -> Callable[[str], Any]:
        """One sort column's values by job id, as a C-level look-up for ``list.sort``. Values
        are kept until the job's view changes (``update_jobs`` forgets them), so re-sorting
        after a key press or a filter keystroke computes only what is new, and the sort
        itself calls no Python function per job."""
        values = self._sort_values.setdefault(key, {})
        view = self._view
        for job_id in ids:
            if job_id not in values:
                values[job_id] = fn(view(job_id), names)
        return values.__getitem__

    def _set_virtual_size(self) -> None:
        self.virtual_size = Size(max(1, self.scrollable_content_region.width), len(self._order) + 1)

    def _refresh_rows(self, job_ids: Iterable[str]) -> None:
        top = round(self.scroll_y)
        page = self._page_rows()
        for job_id in job_ids:
            index = self._index.get(job_id)
            if index is not None and top <= index < top + page:
                self.refresh_line(index + 1)

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    # ------------------------------------------------------------------ cursor

    @property
    def cursor_index(self) -> int | None:
        return self._index.get(self.cursor_id) if self.cursor_id else None

    def select_job(self, job_id: str) -> bool:
        """Put the cursor on ``job_id`` if it is shown."""
        if job_id not in self._index:
            return False
        self._move_to(self._index[job_id])
        return True

    def _move_to(self, index: int) -> None:
        if not self._order:
            return
        index = max(0, min(index, len(self._order) - 1))
        old = self.cursor_index
        new_id = self._order[index]
        if new_id == self.cursor_id:
            return
        self.cursor_id = new_id
        if old is not None:
            self.refresh_line(old + 1)
        self.refresh_line(index + 1)
        self._scroll_cursor_into_view()
        self.post_message(self.JobHighlighted(new_id))

    def _scroll_cursor_into_view(self) -> None:
        index = self.cursor_index
        if index is None:
            return
        page = self._page_rows()
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + page:
            self.scroll_to(y=index - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._move_to((self.cursor_index or 0) - 1)

    def action_cursor_down(self) -> None:
        index = self.cursor_index
        self._move_to(0 if index is None else index + 1)

    def action_page_up(self) -> None:
        self._move_to((self.cursor_index or 0) - self._page_rows())

    def action_page_down(self) -> None:
        self._move_to((self.cursor_index or 0) + self._page_rows())

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self._order) - 1)

    def action_choose(self) -> None:
        if self.cursor_id is not None:
            self.post_message(self.JobChosen(self.cursor_id))

    async def _on_key(self, event: events.Key) -> None:
        if self.key_redirect is not None and self.key_redirect(event):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    async def _on_click(self, event: events.Click) -> None:
        y = event.y
        if y >= 1:
            index = round(self.scroll_y) + y - 1
            if index < len(self._order):
                self._move_to(index)
                if event.chain >= 2:
                    self.action_choose()

    # ------------------------------------------------------------------ time

    def visible_ids(self) -> list[str]:
        top = round(self.scroll_y)
        return self._order[top : top + self._page_rows()]

    def next_time_change(self) -> float | None:
        """Seconds until a relative time on screen changes, if any column shows one."""
        if not any(c.key == "created" for c, _ in self._columns):
            return None
        now = self.now()
        delays = [
            fmt.next_ago_change(created, now)
            for job_id in self.visible_ids()
            if (created := self._view(job_id).job.created_date) is not None
        ]
        return min(delays) if delays else None

    def refresh_times(self) -> int:
        """Repaint rows whose relative time text changed; returns how many."""
        changed = 0
        short = self._short_created()
        now = self.now()
        for job_id in self.visible_ids():
            text = fmt.ago(self._view(job_id).job.created_date, now, short=short)
            if self._shown_ago.get(job_id) != text:
                changed += 1
                self.refresh_line(self._index[job_id] + 1)
        return changed

    def _short_created(self) -> bool:
        for column, width in self._columns:
            if column.key == "created":
                return width < 7
        return True

    # ------------------------------------------------------------------ rendering

    def on_resize(self, event: events.Resize) -> None:
        self._set_virtual_size()
        self._scroll_cursor_into_view()
        self.refresh()
        self._note_visible()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._rich_style_cache.clear()
        self._lines.clear()  # focus, theme or CSS changed: every line looks different

    def _layout(self, width: int) -> list[tuple[Column, int]]:
        if width != self._columns_width:
            self._columns = layout_columns(width)
            self._columns_width = width
        return self._columns

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        columns = self._layout(width)
        if y == 0:
            return self._header_strip(columns, width, base)
        index = round(self.scroll_y) + y - 1
        if not self._order:
            if y == 2:
                style = base + self.get_component_rich_style("job-table--empty")
                text = Text(f"  {self.empty_text}", style=style)
                strip = Strip(text.render(self.app.console)).apply_style(style)
                return strip.adjust_cell_length(width, base)
            return Strip.blank(width, base)
        if index >= len(self._order):
            return Strip.blank(width, base)
        job_id = self._order[index]
        return self._row_strip(job_id, columns, width, base, job_id == self.cursor_id)

    def _header_strip(self, columns: list[tuple[Column, int]], width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("job-table--header")
        spec = SORT_BY_KEY[self.sort_key]
        descending = spec.natural_reverse != self.sort_reversed
        line = Text(style=style, no_wrap=True, overflow="ellipsis")
        for i, (column, w) in enumerate(columns):
            arrow = ("↓" if descending else "↑") if column.key == self.sort_key else ""
            title = column.title
            if len(title) + len(arrow) > w and column.short:
                title = column.short
            title += arrow
            if i:
                line.append(" ")
            line.append_text(_fit(Text(title), w, column.align))
        return (
            Strip(line.render(self.app.console)).apply_style(style).adjust_cell_length(width, style)
        )

    def _row_strip(
        self,
        job_id: str,
        columns: list[tuple[Column, int]],
        width: int,
        base: Style,
        is_cursor: bool,
    ) -> Strip:
        row = self._row(job_id)
        ago = fmt.ago(row.view.job.created_date, self.now(), short=self._short_created())
        self._shown_ago[job_id] = ago
        key = (row.signature, ago, is_cursor, width)
        cached = self._lines.get(job_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        strip = self._render_row(row, ago, columns, width, base, is_cursor)
        self._lines[job_id] = (key, strip)
        return strip

    def _render_row(
        self,
        row: _Row,
        ago: str,
        columns: list[tuple[Column, int]],
        width: int,
        base: Style,
        is_cursor: bool,
    ) -> Strip:
        if row.pending:
            row_style = self.get_component_rich_style("job-table--pending")
        elif row.view.purged:
            row_style = self.get_component_rich_style("job-table--purged")
        elif row.live:
            row_style = self.get_component_rich_style("job-table--live")
        else:
            row_style = self.get_component_rich_style("job-table--done")
        style = base + row_style
        if is_cursor:
            style = style + self.get_component_rich_style("job-table--cursor")
        view = row.view
        job_id = view.id
        marked = not is_cursor and not row.pending and not view.purged
        line = Text(style=style, no_wrap=True, overflow="ellipsis")
        for i, (column, w) in enumerate(columns):
            if i:
                line.append(" ")
            if column.key == "created":
                cell = Text(ago)
            elif column.key == "failed":
                cell = row.cells["failed"]
                if cell.cell_len > w:
                    cell = Text(fmt.failed_cell(view, self.threshold, with_count=False)[0])
                if row.flagged and not is_cursor:
                    cell = self._marked(cell, "job-table--flag")
            elif column.key == "batches":
                cell = row.cells["batches"]
                if row.batches_flagged and not is_cursor:
                    cell = self._marked(cell, "job-table--flag")
            elif column.key == "id" and w < len(job_id):
                cell = Text(fmt.safe(job_id[:w]))
            elif column.key == "kind" and w < row.cells["kind"].cell_len:
                cell = Text(fmt.job_kind(view.job, short=True))
            elif column.key == "objop":
                cell = Text(fmt.object_operation(view.job, width=w))
            elif column.key == "processed":
                cell = row.cells["processed"]
                if cell.cell_len > w:
                    cell = Text(fmt.compact(view.job.number_records_processed))
            elif column.key == "state":
                cell = row.cells["state"]
                bad = row.invalid or view.job.state in (JobState.FAILED, JobState.ABORTED)
                if marked and bad:
                    cell = self._marked(cell, "job-table--bad")
            else:
                cell = row.cells[column.key]
            line.append_text(_fit(cell, w, column.align))
        return (
            Strip(line.render(self.app.console)).apply_style(style).adjust_cell_length(width, style)
        )

    def _marked(self, cell: Text, component: str) -> Text:
        cell = cell.copy()
        cell.stylize(self.get_component_rich_style(component, partial=True))
        return cell


def _fit(cell: Text, width: int, align: Align) -> Text:
    """The cell cut (with …) or padded to exactly ``width`` cells."""
    if cell.cell_len > width:
        cell = cell.copy()
        cell.truncate(width, overflow="ellipsis")
    pad = width - cell.cell_len
    if pad <= 0:
        return cell
    if align == "right":
        return Text(" " * pad) + cell
    return cell + Text(" " * pad)
