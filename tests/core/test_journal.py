"""The journal: what it keeps of jobs and actions, and what it reads back."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bulktui.api.enums import BatchState, JobState, JobType, Operation
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core import journal_rows
from bulktui.core.actions import Action, ActionRefused, ActionSucceeded, ActionUncertain
from bulktui.core.journal import MAX_REFRESHES, Journal, NullJournal
from bulktui.core.journal_files import default_path, journal_dir, org_key
from bulktui.core.journal_schema import APPLICATION_ID, SCHEMA_VERSION

from .journal_support import IDENTITY, ORG, T0, full, job_id, list_row, snapshot


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal" / "org.sqlite3"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    opened = Journal.open(path)
    assert isinstance(opened, Journal), opened.problem
    yield opened
    opened.close()


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def test_a_new_journal_is_private_from_its_creation(path: Path) -> None:
    old = os.umask(0)  # a careless umask must not widen it
    try:
        opened = Journal.open(path)
    finally:
        os.umask(old)
    assert isinstance(opened, Journal)
    opened.record_snapshot(snapshot([list_row(1)]))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert stat.S_IMODE(name.stat().st_mode) == 0o600, name
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    opened.close()
    db = _raw(path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_job_of_no_known_org_comes_back_for_the_org_but_another_orgs_does_not(
    path: Path, journal: Journal
) -> None:
    """Jobs of this org or of none (recorded before the org was known), in every read of the
    current jobs: the first frame's, the preview's and the rest's."""
    journal.record_snapshot(snapshot([full(1)], identity=None))
    journal.record_snapshot(snapshot([full(2)]))
    other = dataclasses.replace(IDENTITY, org_id="00D000000000002AAA")
    journal.record_snapshot(snapshot([full(3)], identity=other))
    journal.close()
    again = Journal.open(path)
    assert isinstance(again, Journal)
    assert {j.id for j in again.known_jobs(ORG)} == {job_id(1), job_id(2)}
    assert [j.id for j in again.known_jobs(ORG, 1)] == [job_id(1)]  # the newest
    preview = again.preview(ORG, T0, 10)
    assert preview is not None and set(preview.ids) == {job_id(1), job_id(2)}
    again.close()


def test_an_existing_loose_journal_is_put_back_to_0600(path: Path, journal: Journal) -> None:
    journal.close()
    os.chmod(path, 0o644)
    again = Journal.open(path)
    assert isinstance(again, Journal)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again.close()


def test_known_jobs_come_back_after_reopening(path: Path, journal: Journal) -> None:
    journal.record_snapshot(snapshot([full(1), list_row(2, JobState.OPEN)]))
    journal.close()
    again = Journal.open(path)
    assert isinstance(again, Journal)
    jobs = again.known_jobs(ORG)
    assert [j.id for j in jobs] == [job_id(1), job_id(2)]  # newest first
    assert jobs[0] == dataclasses.replace(full(1), extra={})
    assert jobs[0].number_records_processed == 101
    assert again.known_jobs("00D000000000002AAA") == []  # another org's jobs are not preloaded
    again.close()


def test_a_list_row_never_replaces_a_fuller_jobinfo_of_the_same_state(journal: Journal) -> None:
    journal.record_snapshot(snapshot([full(1)]))
    journal.record_snapshot(snapshot([list_row(1)], T0 + timedelta(seconds=5)))
    assert journal.known_jobs()[0].number_records_processed == 101
    # A row in a newer state is newer news: it replaces the stale counts.
    journal.record_snapshot(snapshot([list_row(1, JobState.ABORTED)], T0 + timedelta(seconds=10)))
    (job,) = journal.known_jobs()
    assert job.state is JobState.ABORTED and job.number_records_processed is None


def test_a_cycle_writes_only_the_jobs_that_changed(journal: Journal) -> None:
    jobs = [full(n) for n in range(1, 201)]
    journal.record_snapshot(snapshot(jobs))
    db = journal._db
    assert db is not None
    before = db.total_changes
    journal.record_snapshot(snapshot(jobs, T0 + timedelta(seconds=5)))  # the same objects
    assert db.total_changes == before
    equal_copies = [dataclasses.replace(j) for j in jobs]
    journal.record_snapshot(snapshot(equal_copies, T0 + timedelta(seconds=10)))
    assert db.total_changes == before  # equal but not identical: compared by digest
    moved = list(equal_copies)
    moved[3] = full(4, number_records_processed=999)
    moved[7] = full(8, JobState.ABORTED)
    journal.record_snapshot(snapshot(moved, T0 + timedelta(seconds=15)))
    assert db.total_changes == before + 2 + 1  # two jobs and the "recorded at" mark


def test_jobs_read_back_at_launch_are_recognised_without_a_comparison(
    path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poller republishes the very objects ``known_jobs`` gave it: the first recording
    after a relaunch (which loads the journal's per-job state, later than the preload now)
    settles them by identity, without serialising 10,000 jobs to compare them."""
    journal.record_snapshot(snapshot([full(n) for n in range(1, 51)]))
    journal.close()
    again = Journal.open(path)
    assert isinstance(again, Journal)
    jobs = again.known_jobs(ORG)
    compared: list[str] = []
    real = journal_rows.fingerprint

    def counting(job: JobInfo) -> bytes:
        compared.append(job.id)
        return real(job)

    monkeypatch.setattr(journal_rows, "fingerprint", counting)
    db = again._db
    assert db is not None
    before = db.total_changes
    again.record_snapshot(snapshot(jobs, T0 + timedelta(seconds=5)))
    assert compared == [] and db.total_changes == before
    again.record_snapshot(
        snapshot([full(1, number_records_processed=7)], T0 + timedelta(seconds=10))
    )
    assert compared == [job_id(1)]  # a new object is compared, as before
    again.close()


def test_last_listed_is_kept_to_an_hour_or_two_and_spread(journal: Journal, path: Path) -> None:
    jobs = [full(n) for n in range(1, 101)]
    journal.record_snapshot(snapshot(jobs))
    journal.record_snapshot(snapshot(jobs, T0 + timedelta(minutes=59)))

    def listed() -> list[float]:
        return [row[0] for row in _raw(path).execute("SELECT last_listed FROM jobs")]

    assert set(listed()) == {T0.timestamp()}  # nothing rewritten within the hour
    later = T0 + timedelta(minutes=90)
    journal.record_snapshot(snapshot(jobs, later))
    assert set(listed()) == {T0.timestamp(), later.timestamp()}  # some now, the rest later
    journal.record_snapshot(snapshot(jobs, T0 + timedelta(minutes=121)))
    assert T0.timestamp() not in listed()
    many = [full(n) for n in range(1000, 1000 + MAX_REFRESHES + 50)]
    journal.record_snapshot(snapshot(many, T0))
    journal.record_snapshot(snapshot(many, T0 + timedelta(hours=3)))
    refreshed = "SELECT count(*) FROM jobs WHERE job_id >= ? AND last_listed > ?"
    count = _raw(path).execute(refreshed, (many[0].id, T0.timestamp())).fetchone()[0]
    assert count == MAX_REFRESHES  # a long-idle big org catches up over a few cycles
    # A job that goes is marked last listed in the listing before the one it vanished from.
    gone = T0 + timedelta(minutes=125)
    journal.record_snapshot(snapshot(jobs, T0 + timedelta(minutes=124)))
    journal.record_snapshot(snapshot(jobs, gone, purged=[jobs[0].id]))
    entry = next(e for e in journal.history() if e.job.id == jobs[0].id)
    assert entry.purged_at == gone and entry.last_listed == T0 + timedelta(minutes=124)


def test_a_picture_made_from_the_journal_is_not_a_sighting(journal: Journal, path: Path) -> None:
    # At launch the poller publishes what the journal knew (source "journal") before any
    # listing: recording it would move "last seen in a listing" with no listing at all.
    jobs = [full(n) for n in range(1, 4)]
    journal.record_snapshot(snapshot(jobs))
    relaunch = dataclasses.replace(
        snapshot(journal.known_jobs(), T0 + timedelta(hours=3)), source="journal"
    )
    journal.record_snapshot(relaunch)
    listed = {row[0] for row in _raw(path).execute("SELECT last_listed FROM jobs")}
    assert listed == {T0.timestamp()}


def test_purged_jobs_leave_the_preload_and_stay_in_history(journal: Journal) -> None:
    journal.record_snapshot(snapshot([full(1), full(2), list_row(3, JobState.OPEN)]))
    later = T0 + timedelta(days=8)
    journal.record_snapshot(snapshot([full(1), full(2)], later, purged=[job_id(1)]))
    assert [j.id for j in journal.known_jobs()] == [job_id(2), job_id(3)]
    history = journal.history()
    assert [e.job.id for e in history] == [job_id(1), job_id(2)]  # the open job is not past
    assert history[0].purged_at == later
    assert history[0].last_listed == T0  # the last listing it was in
    assert history[1].purged_at is None and history[1].ended_at == T0


def test_history_filters_by_time_object_and_state(journal: Journal) -> None:
    journal.record_snapshot(
        snapshot(
            [
                full(1, object="Contact"),
                full(2, JobState.ABORTED),
                full(60 * 24 * 40, JobState.FAILED),  # created 40 days before T0
            ]
        )
    )
    since = T0 - timedelta(days=30)
    assert {e.job.id for e in journal.history(since=since)} == {job_id(1), job_id(2)}
    assert [e.job.id for e in journal.history(object_name="contact")] == [job_id(1)]
    assert [e.job.id for e in journal.history(states=["aborted"])] == [job_id(2)]


def test_the_action_log_keeps_every_outcome_with_its_origin(journal: Journal) -> None:
    @dataclasses.dataclass(frozen=True)
    class RuleRefused(ActionRefused):  # what the poller helper's outcomes will carry (C4)
        origin: str = "rule"
        rule: str | None = None

    journal.record_snapshot(snapshot([list_row(2, JobState.OPEN, job_type=JobType.V2_INGEST)]))
    done = full(1, JobState.ABORTED)
    journal.record_action(ActionSucceeded(Action.ABORT, done, f"Job {done.id} aborted."))
    journal.record_action(ActionRefused(Action.CLOSE, job_id(2), "Salesforce refused (\x1b[31m)."))
    journal.record_action(ActionUncertain(Action.CREATE, None, "may or may not"), user="bob")
    journal.record_action(RuleRefused(Action.ABORT, job_id(3), "no", rule="stuck > 2h"))
    rows = journal.actions()
    assert [(r.action, r.outcome, r.origin, r.rule) for r in rows] == [
        ("abort", "refused", "rule", "stuck > 2h"),
        ("create", "uncertain", "console", None),
        ("upload complete", "refused", "console", None),  # a 2.0 ingest job is not "closed"
        ("abort", "succeeded", "console", None),
    ]
    assert rows[1].user == "bob" and rows[2].user == "ada@example.com"
    assert rows[2].org_id == ORG and rows[2].message == "Salesforce refused (\x1b[31m)."
    # The succeeded action's answer is the job's latest JobInfo.
    assert journal.job_record(job_id(1)) is not None
    assert journal.history(states=["Aborted"])[0].job.id == job_id(1)


def test_batches_counts_and_error_groups_but_never_record_data(journal: Journal) -> None:
    @dataclasses.dataclass
    class Group:
        code: str
        first_message: str
        count: int
        samples: tuple[tuple[str, ...], ...]

    @dataclasses.dataclass
    class Groups:
        groups: tuple[Group, ...]

    journal.record_snapshot(snapshot([full(1)]))
    batch = BatchInfo(id="751000000000001AAA", job_id=job_id(1), state=BatchState.COMPLETED)
    journal.record_batches(job_id(1), [batch], T0)
    journal.record_result_counts(job_id(1), T0, processed=10, failed=2)
    secret_row = ("Acme", "4111111111111111")
    groups = Groups((Group("DUPLICATE_VALUE", "duplicate value found", 2, (secret_row,)),))
    journal.record_failed_groups(job_id(1), batch.id, groups, T0)
    record = journal.job_record(job_id(1))
    assert record is not None
    assert record.batches == (batch,)
    assert record.result_counts == (10, 2, None)
    assert [(g.code, g.count, g.first_message) for g in record.error_groups] == [
        ("DUPLICATE_VALUE", 2, "duplicate value found")
    ]
    journal.close()
    assert journal.path is not None
    assert b"4111111111111111" not in journal.path.read_bytes()


def test_hostile_server_text_is_stored_and_read_back_as_data(journal: Journal) -> None:
    evil = "Acc\x1b]0;pwned\x07ount'); DROP TABLE jobs;--\ud800"
    journal.record_snapshot(snapshot([full(1, object=evil)]))
    (entry,) = journal.history()
    assert entry.job.object == evil  # unchanged: showing it safely is the caller's job
    assert len(journal.history(object_name=evil)) == 1
    assert journal.known_jobs()[0].object == evil


def test_a_stored_row_that_no_longer_parses_is_skipped(journal: Journal, path: Path) -> None:
    journal.record_snapshot(snapshot([full(1), full(2)]))
    db = _raw(path)
    db.execute('UPDATE jobs SET info = \'{"id": 5, "state": []}\' WHERE job_id = ?', (job_id(1),))
    db.commit()
    db.close()
    assert [j.id for j in journal.known_jobs()] == [job_id(2)]


def test_retention_prunes_old_jobs_and_actions_in_the_background(journal: Journal) -> None:
    old = T0 - timedelta(days=200)
    journal.record_snapshot(snapshot([full(1)], old, purged=[job_id(1)]))
    journal.record_snapshot(snapshot([full(2)], T0))
    journal.record_action(ActionRefused(Action.ABORT, job_id(2), "no"))
    assert journal.prune(now=T0 + timedelta(days=1)) == 1
    assert [e.job.id for e in journal.history()] == [job_id(2)]
    assert len(journal.actions()) == 1
    assert journal.maybe_prune(T0 + timedelta(days=1, hours=1)) == 0  # once a day at most
    journal.retention = timedelta(days=0)
    assert journal.maybe_prune(T0 + timedelta(days=400)) == 2  # the job and the action


def test_the_null_journal_does_nothing(tmp_path: Path) -> None:
    null = NullJournal("journal x: why; what to do")
    null.record_snapshot(snapshot([full(1)]))
    null.record_action(ActionRefused(Action.ABORT, job_id(1), "no"))
    assert null.known_jobs() == [] and not null.enabled
    missing = Journal.open(tmp_path / "none.sqlite3", create=False)
    assert isinstance(missing, NullJournal) and "no journal yet" in (missing.problem or "")
    assert not (tmp_path / "none.sqlite3").exists()


def test_info_counts_and_the_oldest_entry(journal: Journal, path: Path) -> None:
    journal.record_snapshot(snapshot([full(1), full(2)], T0, purged=[job_id(2)]))
    info = journal.info()
    assert info is not None
    assert (info.path, info.jobs, info.purged_jobs, info.actions) == (path, 2, 1, 0)
    assert info.oldest == T0 and info.size_bytes > 0 and info.schema_version == 1


def test_operation_and_kind_are_kept_for_a_v2_query(journal: Journal) -> None:
    query = list_row(1, JobState.JOB_COMPLETE, job_type=JobType.V2_QUERY, operation=Operation.QUERY)
    journal.record_snapshot(snapshot([query]))
    (entry,) = journal.history()
    assert entry.kind == "V2 query" and entry.job.operation is Operation.QUERY


def test_the_newest_jobs_first_for_a_quick_first_paint(journal: Journal) -> None:
    journal.record_snapshot(snapshot([full(n) for n in range(1, 50)]))
    assert [j.id for j in journal.known_jobs(limit=3)] == [job_id(1), job_id(2), job_id(3)]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Acme.My.Salesforce.com/", "acme.my.salesforce.com"),
        ("http://127.0.0.1:8443", "127.0.0.1_8443"),
        ("acme--dev.sandbox.my.salesforce.com", "acme--dev.sandbox.my.salesforce.com"),
        ("https://../../etc/passwd", "_"),
        ("https://a b;c", "a_b_c"),
    ],
)
def test_the_org_key_is_a_safe_file_name(url: str, key: str) -> None:
    assert org_key(url) == key
    assert default_path(url).name == key + ".sqlite3"
    assert default_path(url).parent == journal_dir()
