"""A real journal file for the history view's tests, filled through the journal's own
recording API, and a tiny app that hosts the screen (tests/ui/test_history_*.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.app import App

from bulktui.api.enums import BatchState, ContentType, JobState, JobType, Operation
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core.journal import Journal
from bulktui.core.snapshot import JobView, LinkState, Snapshot
from bulktui.ui.themes import DEFAULT_THEME, load_themes, theme_dirs, user_dir, with_defaults

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PURGED_AT = T0 + timedelta(days=8)
V1_ID = "750000000000001AAA"
EVIL_ID = "750000000000002AAA"
ENDED_ID = "750000000000003AAA"
V2_ID = "750000000000004AAA"
BATCH_OK = "751000000000001AAA"
BATCH_BAD = "751000000000002AAA"
EVIL_OBJECT = "Acc\x1b[31mount\x1b]0;pwned\x07\u202e"


@dataclasses.dataclass(frozen=True)
class Group:
    """``bulktui.api.results.ErrorGroup`` as far as the journal reads it (samples dropped)."""

    code: str
    first_message: str
    count: int
    samples: tuple[tuple[str, ...], ...] = ()


@dataclasses.dataclass(frozen=True)
class Groups:
    groups: tuple[Group, ...]


def v1_job(job_id: str, minutes_before: int, **changes: object) -> JobInfo:
    job = JobInfo(
        id=job_id,
        operation=Operation.INSERT,
        object="Account",
        created_by_id="005000000000001AAA",
        created_date=T0 - timedelta(minutes=minutes_before),
        system_modstamp=T0 - timedelta(minutes=minutes_before - 2),
        state=JobState.CLOSED,
        job_type=JobType.CLASSIC,
        content_type=ContentType.CSV,
        number_batches_queued=0,
        number_batches_in_progress=0,
        number_batches_completed=1,
        number_batches_failed=1,
        number_batches_total=2,
        number_records_processed=200,
        number_records_failed=30,
    )
    return dataclasses.replace(job, **changes)  # type: ignore[arg-type]


def v2_job(job_id: str, minutes_before: int) -> JobInfo:
    return JobInfo(
        id=job_id,
        operation=Operation.UPSERT,
        object="Contact",
        created_by_id="005000000000001AAA",
        created_date=T0 - timedelta(minutes=minutes_before),
        system_modstamp=T0 - timedelta(minutes=minutes_before - 1),
        state=JobState.JOB_COMPLETE,
        job_type=JobType.V2_INGEST,
        external_id_field_name="Email",
        number_records_processed=1000,
        number_records_failed=50,
    )


def snapshot(jobs: list[JobInfo], at: datetime) -> Snapshot:
    views = {job.id: JobView(job) for job in jobs}
    return Snapshot(jobs=views, link=LinkState.LIVE, fetched_at=at)


def filled_journal(path: Path) -> Journal:
    """Four past jobs: three purged (a 1.0 job with batches and error groups, one with a
    hostile object name, a 2.0 job with groups), one ended but still in the org."""
    journal = Journal.open(path)
    assert isinstance(journal, Journal), journal.problem
    jobs = [
        v1_job(V1_ID, 10),
        v1_job(EVIL_ID, 20, object=EVIL_OBJECT, number_records_failed=0),
        v1_job(ENDED_ID, 30, object="Lead", operation=Operation.UPDATE),
        v2_job(V2_ID, 40),
    ]
    journal.record_snapshot(snapshot(jobs, T0))
    batches = [
        BatchInfo(
            id=BATCH_OK,
            job_id=V1_ID,
            state=BatchState.COMPLETED,
            number_records_processed=200,
            number_records_failed=30,
        ),
        BatchInfo(
            id=BATCH_BAD,
            job_id=V1_ID,
            state=BatchState.FAILED,
            state_message="InvalidBatch : Field name not found : Nmae",
            number_records_processed=0,
            number_records_failed=0,
        ),
    ]
    journal.record_batches(V1_ID, batches, T0)
    journal.record_result_counts(V1_ID, T0, processed=200, failed=30)
    journal.record_failed_groups(
        V1_ID,
        BATCH_OK,
        Groups(
            (
                Group("DUPLICATE_VALUE", "duplicate value found: Name", 20, (("Acme", "x"),)),
                Group("REQUIRED_FIELD_MISSING", "Required fields are missing: [Industry]", 10),
            )
        ),
        T0,
    )
    journal.record_failed_groups(
        V2_ID, None, Groups((Group("INVALID_EMAIL_ADDRESS", "Email: invalid email", 50),)), T0
    )
    for job_id in (V1_ID, EVIL_ID, V2_ID):
        journal.mark_purged(job_id, PURGED_AT)
    return journal


class HostApp(App[None]):
    """Only what the history view needs of the console: its themes and CSS variables."""

    def __init__(self) -> None:
        super().__init__()
        shipped = [d for d in theme_dirs() if d != user_dir()]  # never the user's own themes
        for theme in load_themes(shipped).themes:
            self.register_theme(theme)
        self.theme = DEFAULT_THEME
        self.animation_level = "none"

    def get_css_variables(self) -> dict[str, str]:
        return with_defaults(super().get_css_variables())


def screen_text(app: App[Any]) -> str:
    """The plain text of the top screen, line by line, as the terminal shows it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
