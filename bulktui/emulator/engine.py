"""The emulated org: jobs, batches, records, users and sessions, advanced lazily by a clock.

Nothing here runs on its own. Every request first calls ``advance()``, which replays what
happened between the last request and ``clock.now()`` in time order: batches starting and
finishing, the demo's new jobs, the 7-day purge. A ManualClock therefore makes every run
deterministic, and an idle emulator costs nothing.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bulktui.api import ids
from bulktui.api.enums import (
    BatchState,
    ConcurrencyMode,
    ContentType,
    JobState,
    Operation,
)
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.emulator.bulk2 import Bulk2
from bulktui.emulator.clock import Clock, SystemClock
from bulktui.emulator.config import EngineConfig, LoginConfig
from bulktui.emulator.objects import find_object
from bulktui.emulator.processing import BatchContext, run_batch
from bulktui.emulator.sessions import SessionStore
from bulktui.emulator.state import Batch, EmulatorError, Job
from bulktui.emulator.store import RecordStore

POD = "5g"
DAY = timedelta(days=1)
MAX_BATCH_BYTES = 10_000_000
UNKNOWN_ROUTE_CAP = 500  # distinct unknown routes counted one by one in the stats
# Wire names a client may never send (docs/wire-facts.md §1.1); the message capitalises them.
READ_ONLY_JOB_FIELDS = frozenset(
    {
        "id",
        "createdById",
        "createdDate",
        "systemModstamp",
        "numberBatchesQueued",
        "numberBatchesInProgress",
        "numberBatchesCompleted",
        "numberBatchesFailed",
        "numberBatchesTotal",
        "numberRecordsProcessed",
        "numberRetries",
        "apiVersion",
        "numberRecordsFailed",
        "totalProcessingTime",
        "apiActiveProcessingTime",
        "apexProcessingTime",
        "fastPathEnabled",
        "jobType",
        "contentUrl",
        "retries",
    }
)
CREATE_FIELDS = frozenset(
    {
        "operation",
        "object",
        "state",
        "externalIdFieldName",
        "concurrencyMode",
        "contentType",
        "assignmentRuleId",
    }
)
# What the batch's Content-Type must be for each job contentType (docs/wire-facts.md §2.3).
MEDIA_TYPES: dict[ContentType, frozenset[str]] = {
    ContentType.CSV: frozenset({"text/csv"}),
    ContentType.XML: frozenset({"application/xml", "text/xml"}),
    ContentType.JSON: frozenset({"application/json"}),
    ContentType.ZIP_CSV: frozenset({"zip/csv"}),
    ContentType.ZIP_XML: frozenset({"zip/xml"}),
    ContentType.ZIP_JSON: frozenset({"zip/json"}),
}
_VERSION = re.compile(r"\d{1,3}\.\d")

Ticker = Callable[[datetime], "datetime | None"]


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: str
    username: str
    name: str
    email: str


def capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]


class Engine:
    def __init__(self, clock: Clock | None = None, config: EngineConfig | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.config = config or EngineConfig()
        self.org_id = ids.make_id("00D", POD, 41_000_000)
        self.store = RecordStore(POD)
        self.sessions = SessionStore(self.org_id)
        self.users: dict[str, UserInfo] = {}
        self.jobs: dict[str, Job] = {}
        self.batches: dict[str, Batch] = {}
        self.stats: Counter[str] = Counter()
        self.unknown_routes: Counter[str] = Counter()  # "METHOD /path" the emulator lacks
        self._now = self.clock.now()
        self._seq = itertools.count(1)
        self._job_counter = itertools.count(9_300_000_000)
        self._batch_counter = itertools.count(7_100_000_000)
        self._result_counter = itertools.count(2_200_000_000)
        self._user_counter = itertools.count(3_000_000)
        self._events: list[tuple[datetime, int, str, Batch]] = []
        self._purges: list[tuple[datetime, int, str]] = []
        self._tickers: list[tuple[datetime, int, Ticker]] = []
        self._batch_times: list[datetime] = []  # every batch submission, sorted
        self._api_hours: Counter[int] = Counter()
        self.v2 = Bulk2(self)
        organization = find_object("Organization")
        assert organization is not None
        self.store.put(
            organization,
            {
                "Id": self.org_id,
                "Name": self.config.org_name,
                "InstanceName": POD.upper(),
                "IsSandbox": "false",
                "TrialExpirationDate": None,
                "NamespacePrefix": None,
                "OrganizationType": "Enterprise Edition",
                "IsDeleted": "false",
            },
        )
        login = self.config.login
        self.default_user = self.add_user(login.username, login.full_name, login.email)

    # ------------------------------------------------------------------ people and sessions

    @property
    def login(self) -> LoginConfig:
        return self.config.login

    def add_user(self, username: str, name: str, email: str | None = None) -> UserInfo:
        user_id = ids.make_id("005", POD, next(self._user_counter))
        user = UserInfo(user_id, username, name, email or username)
        self.users[user_id] = user
        first, _, last = name.rpartition(" ")
        users = find_object("User")
        assert users is not None
        self.store.put(
            users,
            {
                "Id": user_id,
                "Name": name,
                "Username": username,
                "FirstName": first or None,
                "LastName": last,
                "Email": user.email,
                "Alias": (first[:1] + last[:4]).lower(),
                "IsActive": "true",
                "IsDeleted": "false",
            },
        )
        return user

    def issue_session(self, user_id: str | None = None) -> str:
        """A valid session id (also an OAuth access token) for a user, by default the login one."""
        return self.sessions.issue(
            user_id or self.default_user.id, self.now(), self.config.session_seconds
        )

    def user_for_session(self, token: str | None) -> UserInfo | None:
        user_id = self.sessions.user_for(token, self.now())
        return self.users.get(user_id) if user_id else None

    # ------------------------------------------------------------------ time

    def now(self) -> datetime:
        return self._now

    def add_ticker(self, first: datetime, ticker: Ticker) -> None:
        """Call ``ticker(at)`` at ``first`` and then whenever it says, in timeline order."""
        heapq.heappush(self._tickers, (first, next(self._seq), ticker))

    def advance(self, until: datetime | None = None) -> datetime:
        """Bring the world up to the clock's now (or to ``until``, if earlier: the demo seed
        replays history step by step); cheap when nothing is due."""
        now = self.clock.now()
        if until is not None:
            now = min(until, now)  # may step back: a seed replays history from its start
        elif now < self._now:
            now = self._now  # a wall clock that stepped back does not undo anything
        queues: tuple[list[Any], ...] = (self._events, self._tickers, self._purges)
        while True:
            due = [q for q in queues if q and q[0][0] <= now]
            if not due:
                break
            queue = min(due, key=lambda q: q[0][0])
            item = heapq.heappop(queue)
            self._now = item[0]
            if queue is self._events:
                self._on_event(item[0], item[2], item[3])
            elif queue is self._tickers:
                following = item[2](item[0])
                if following is not None:
                    heapq.heappush(
                        self._tickers, (max(following, item[0]), next(self._seq), item[2])
                    )
            else:
                self._on_purge(item[0], item[2])
        self._now = now
        return now

    # ------------------------------------------------------------------ accounting

    def count_api_request(self) -> None:
        hour = int(self._now.timestamp() // 3600)
        self._api_hours[hour] += 1
        if len(self._api_hours) > 48:
            for key in [k for k in self._api_hours if k <= hour - 24]:
                del self._api_hours[key]

    def count_unknown(self, method: str, path: str) -> None:
        key = f"{method} {path[:200]}"
        if key in self.unknown_routes or len(self.unknown_routes) < UNKNOWN_ROUTE_CAP:
            self.unknown_routes[key] += 1
        else:
            self.unknown_routes["(other unknown routes)"] += 1

    def api_requests_used(self) -> int:
        hour = int(self._now.timestamp() // 3600)
        return sum(v for k, v in self._api_hours.items() if k > hour - 24)

    def batches_used(self) -> int:
        times = self._batch_times
        return len(times) - bisect.bisect_left(times, self._now - DAY)

    def _count_batch(self, at: datetime) -> None:
        bisect.insort(self._batch_times, at)
        if len(self._batch_times) > 4 * self.config.daily_batch_limit:
            cut = bisect.bisect_left(self._batch_times, self._now - DAY)
            del self._batch_times[:cut]

    # ------------------------------------------------------------------ validation

    def check_version(self, version: str) -> str:
        """The URI's API version, or InvalidVersion for unknown and retired ones."""
        ok = _VERSION.fullmatch(version) is not None and (
            self.config.min_api_version <= float(version) <= self.config.max_api_version
        )
        if not ok:
            raise EmulatorError("InvalidVersion", "Invalid Api version specified on URL")
        return version

    def get_job(self, job_id: str) -> Job:
        """A 1.0 job; a 2.0 job's id is as unknown to the 1.0 endpoints as a made-up one."""
        job = self.find_job(job_id)
        if job is None or job.is_v2:
            raise EmulatorError("InvalidJob", f"Invalid job id: {job_id}")
        return job

    def find_job(self, job_id: str) -> Job | None:
        return self.jobs.get(_to18(job_id))

    def get_batch(self, job: Job, batch_id: str) -> Batch:
        batch = self.batches.get(_to18(batch_id))
        if batch is None or batch.job is not job:
            raise EmulatorError("InvalidBatch", f"Invalid batch id: {batch_id}")
        return batch

    # ------------------------------------------------------------------ jobs

    def _new_job_id(self) -> str:
        return ids.make_id("750", POD, next(self._job_counter))

    def create_job(
        self,
        user: UserInfo,
        fields: Mapping[str, Any],
        api_version: str,
        at: datetime | None = None,
    ) -> Job:
        """J1, with the validation of docs/wire-facts.md §1.4. ``fields`` are wire names."""
        for name in fields:
            if name in READ_ONLY_JOB_FIELDS:
                raise EmulatorError("InvalidJob", f"{capitalised(name)} cannot be specified")
            if name not in CREATE_FIELDS:
                raise EmulatorError("InvalidJob", "Unable to parse Job")
        values = {k: v for k, v in fields.items() if v is not None}
        operation = _enum(Operation, values.get("operation"))
        content_type = _enum(ContentType, values.get("contentType", "XML"))
        concurrency = _enum(ConcurrencyMode, values.get("concurrencyMode", "Parallel"))
        state = _enum(JobState, values.get("state", "Open"))
        if state is not JobState.OPEN:
            raise EmulatorError("InvalidJobState", "A new job must be Open")
        object_name = values.get("object")
        if not isinstance(object_name, str) or not object_name:
            raise EmulatorError("InvalidJob", "Unable to parse Job")
        obj = find_object(object_name)
        if obj is None:
            raise EmulatorError("InvalidJob", f"Unable to find object: {object_name}")
        if not obj.bulk_supported:
            raise EmulatorError(
                "InvalidEntity", f"Entity '{obj.name}' is not supported by the Bulk API."
            )
        external_id = values.get("externalIdFieldName")
        if operation is Operation.UPSERT and not external_id:
            raise EmulatorError(
                "InvalidJob",
                f"External ID was blank for {obj.name}. "
                "An External ID must be specified for upsert.",
            )
        if operation is not Operation.UPSERT and external_id:
            raise EmulatorError(
                "InvalidJob", "External ID field name may only be specified for upsert"
            )
        rule = values.get("assignmentRuleId")
        if rule is not None and not (isinstance(rule, str) and ids.is_valid(rule, "01Q")):
            raise EmulatorError("InvalidJob", f"Invalid assignmentRuleId: {rule}")
        return self._add_job(
            Job(
                id=self._new_job_id(),
                seq=next(self._seq),
                operation=operation,
                obj=obj,
                object_name=obj.name,
                created_by=user.id,
                created=_ms(at or self._now),
                modstamp=_ms(at or self._now),
                state=JobState.OPEN,
                concurrency=concurrency,
                content_type=content_type,
                api_version=api_version,
                external_id=str(external_id) if external_id else None,
                assignment_rule_id=ids.to18(rule) if rule else None,
            )
        )

    def _add_job(self, job: Job) -> Job:
        self.jobs[job.id] = job
        self._schedule_purge(job)
        return job

    def update_job(
        self, job: Job, user: UserInfo, fields: Mapping[str, Any], at: datetime | None = None
    ) -> Job:
        """J3: only ``state`` may be sent, and only Closed or Aborted (docs/wire-facts.md §1.5)."""
        for name in fields:
            if name != "state":
                if name in READ_ONLY_JOB_FIELDS or name in CREATE_FIELDS:
                    raise EmulatorError("InvalidJob", f"{capitalised(name)} cannot be specified")
                raise EmulatorError("InvalidJob", "Unable to parse Job")
        if "state" not in fields:
            raise EmulatorError("InvalidJob", "Unable to parse Job")
        target = _enum(JobState, fields["state"])
        current = job.state.value.lower()
        if target is JobState.CLOSED:
            if job.state is not JobState.OPEN:
                raise EmulatorError("InvalidJobState", f"Closing already {current} Job not allowed")
            if job.created_by != user.id:
                raise EmulatorError("InvalidUser", "Only the user who created a job may close it")
            job.state = JobState.CLOSED
        elif target is JobState.ABORTED:
            if job.state not in (JobState.OPEN, JobState.CLOSED):
                raise EmulatorError(
                    "InvalidJobState", f"Aborting already {current} Job not allowed"
                )
            self._abort(job, at or self._now)
        elif target is JobState.OPEN:
            raise EmulatorError("InvalidJobState", f"Reopening a {current} Job not allowed")
        else:
            raise EmulatorError(
                "InvalidJobState", f"Job state {target.value} can not be set by a client"
            )
        job.modstamp = _ms(at or self._now)
        return job

    def stop_batches(self, job: Job, at: datetime) -> None:
        """Queued batches will never run (an abort or a job-level failure); running ones finish."""
        self._abort(job, at)

    def _abort(self, job: Job, at: datetime) -> None:
        job.state = JobState.ABORTED
        for batch in job.batches:
            if batch.state is BatchState.QUEUED:
                batch.state = BatchState.NOT_PROCESSED
                batch.modstamp = _ms(at)
        job.waiting.clear()

    def fail_job(self, job: Job, at: datetime | None = None) -> None:
        """A job-level failure (the demo uses it): Queued batches will not run."""
        self._abort(job, at or self._now)
        job.state = JobState.FAILED

    # ------------------------------------------------------------------ batches

    def add_batch(
        self,
        job: Job,
        user: UserInfo,
        body: bytes,
        media_type: str | None,
        at: datetime | None = None,
    ) -> Batch:
        """B1, with the limits of docs/wire-facts.md §2.3 and the rolling 24-hour allocation."""
        at = at or self._now
        if job.created_by != user.id:
            raise EmulatorError("InvalidUser", "A batch can only be added by the job's creator")
        if self.batches_used() >= self.config.daily_batch_limit:
            raise EmulatorError(
                "ExceededQuota",
                f"Exceeded the limit of {self.config.daily_batch_limit} batches "
                "in the last 24 hours",
            )
        self._count_batch(at)  # counts even when the job refuses it (docs/wire-facts.md §1.5)
        if job.state is not JobState.OPEN:
            raise EmulatorError(
                "InvalidJobState", f"Unable to add a batch: the job is {job.state.value}"
            )
        if at - job.created > DAY:
            raise EmulatorError(
                "InvalidJobState", "Unable to add a batch: the job is more than 24 hours old"
            )
        media = (media_type or "").split(";", 1)[0].strip().lower()
        if media not in MEDIA_TYPES.get(job.content_type, frozenset()):
            raise EmulatorError(
                "InvalidBatch",
                f"Content-Type {media or '(none)'} does not match the job's "
                f"contentType {job.content_type.value}",
            )
        if len(body) > MAX_BATCH_BYTES:
            raise EmulatorError(
                "ClientInputError",
                f"Failed to read request. Exceeded max size limit of {MAX_BATCH_BYTES}",
            )
        return self._enqueue(job, body, at)

    def enqueue_internal(self, job: Job, body: bytes, at: datetime) -> Batch:
        """One of the batches a 2.0 job's data is split into; it counts against the shared
        24-hour batch allocation like a 1.0 batch."""
        self._count_batch(at)
        return self._enqueue(job, body, at)

    def _enqueue(self, job: Job, body: bytes, at: datetime) -> Batch:
        batch = Batch(
            id=ids.make_id("751", POD, next(self._batch_counter)),
            job=job,
            created=_ms(at),
            payload=body,
            modstamp=_ms(at),
        )
        self._attach(batch)
        if job.running < self._slots(job):
            self._reserve(job, batch, at)
        else:
            job.waiting.append(batch)
        return batch

    def _attach(self, batch: Batch) -> None:
        batch.job.batches.append(batch)
        self.batches[batch.id] = batch
        self._schedule_purge(batch.job)

    def _rate(self, job: Job) -> float:
        return job.records_per_second or self.config.records_per_second

    def _slots(self, job: Job) -> int:
        if job.concurrency is ConcurrencyMode.SERIAL:
            return 1
        return self.config.parallel_batches_per_job

    def _reserve(self, job: Job, batch: Batch, at: datetime) -> None:
        job.running += 1
        start = max(at, batch.created + timedelta(seconds=self.config.queue_seconds))
        heapq.heappush(self._events, (start, next(self._seq), "start", batch))

    def _on_event(self, at: datetime, kind: str, batch: Batch) -> None:
        job = batch.job
        if kind == "start":
            if batch.state is not BatchState.QUEUED or job.id not in self.jobs:
                self._release(job, at)
                return
            ctx = BatchContext(
                obj=job.obj,
                operation=job.operation,
                external_id=job.external_id,
                content_type=job.content_type,
                user_id=job.created_by,
                now=at,
            )
            outcome = run_batch(ctx, batch.payload, self.store)
            batch.outcome = outcome
            batch.state = BatchState.IN_PROGRESS
            batch.started = _ms(at)
            batch.modstamp = _ms(at)
            if outcome.failure:
                seconds = self.config.min_batch_seconds / 2
            else:
                seconds = max(self.config.min_batch_seconds, outcome.records / self._rate(job))
            batch.finishes = _ms(at + timedelta(seconds=seconds))
            heapq.heappush(self._events, (batch.finishes, next(self._seq), "finish", batch))
            if job.is_v2:
                self.v2.batch_moved(job, at)
            return
        done = batch.outcome
        assert done is not None
        if done.failure:
            batch.state = BatchState.FAILED
            batch.state_message = done.failure
        else:
            batch.state = BatchState.COMPLETED
            done.apply()
            if done.query_rows is not None:
                batch.result_ids = (ids.make_id("752", POD, next(self._result_counter)),)
        batch.modstamp = batch.finishes
        self._release(job, at)
        if job.is_v2:
            self.v2.batch_moved(job, at)

    def _release(self, job: Job, at: datetime) -> None:
        job.running = max(0, job.running - 1)
        while job.waiting and job.running < self._slots(job):
            self._reserve(job, job.waiting.popleft(), at)

    # ------------------------------------------------------------------ purge

    def _purge_time(self, job: Job) -> datetime:
        if job.is_v2:  # 2.0 jobs live seven days from their end (or creation, if never ended)
            return (job.ended or job.created) + timedelta(days=self.config.lifespan_days)
        youngest = max((b.created for b in job.batches), default=job.created)
        return youngest + timedelta(days=self.config.lifespan_days)

    def schedule_purge(self, job: Job) -> None:
        self._schedule_purge(job)

    def remove_job(self, job: Job) -> None:
        """Gone at once (a 2.0 DELETE), as if purged."""
        self.jobs.pop(job.id, None)
        for batch in job.batches:
            self.batches.pop(batch.id, None)
            if batch.state is BatchState.QUEUED:
                batch.state = BatchState.NOT_PROCESSED
        job.waiting.clear()

    def _schedule_purge(self, job: Job) -> None:
        heapq.heappush(self._purges, (self._purge_time(job), next(self._seq), job.id))

    def _on_purge(self, at: datetime, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is None:
            return
        if self._purge_time(job) > at:
            return  # a newer batch moved it; that batch queued its own purge entry
        del self.jobs[job_id]
        for batch in job.batches:
            self.batches.pop(batch.id, None)
        job.waiting.clear()

    # ------------------------------------------------------------------ views

    def batch_info(self, batch: Batch) -> BatchInfo:
        processed, failed, total_ms = self._progress(batch)
        apex = (
            int(total_ms * 0.3)
            if batch.job.obj.has_triggers and not batch.job.operation.is_query
            else 0
        )
        values: dict[str, Any] = {
            "numberRecordsProcessed": processed,
            "numberRecordsFailed": failed,
            "totalProcessingTime": total_ms,
            "apiActiveProcessingTime": int(total_ms * 0.85),
            "apexProcessingTime": apex,
        }
        values.update((k, v) for k, v in batch.fixed.items() if k in values)
        modstamp = batch.modstamp or batch.created
        if batch.state is BatchState.IN_PROGRESS and not batch.static:
            modstamp = max(modstamp, _ms(self._now).replace(microsecond=0))
        return BatchInfo(
            id=batch.id,
            job_id=batch.job.id,
            state=batch.state,
            state_message=batch.state_message,
            created_date=batch.created,
            system_modstamp=modstamp,
            number_records_processed=values["numberRecordsProcessed"],
            number_records_failed=values["numberRecordsFailed"],
            total_processing_time=values["totalProcessingTime"],
            api_active_processing_time=values["apiActiveProcessingTime"],
            apex_processing_time=values["apexProcessingTime"],
        )

    def _progress(self, batch: Batch) -> tuple[int, int, int]:
        """Records processed and failed so far, and milliseconds spent."""
        outcome = batch.outcome
        if outcome is None or batch.started is None:
            return 0, 0, 0
        if outcome.failure:
            return (
                0,
                0,
                _millis(batch.finishes, batch.started) if batch.state is BatchState.FAILED else 0,
            )
        if batch.state is BatchState.IN_PROGRESS:
            elapsed = max(0.0, (self._now - batch.started).total_seconds())
            processed = min(outcome.records, int(elapsed * self._rate(batch.job)))
            failed = bisect.bisect_left(outcome.failed_rows, processed)
            return processed, failed, int(elapsed * 1000)
        return outcome.records, len(outcome.failed_rows), _millis(batch.finishes, batch.started)

    def modstamp(self, job: Job) -> datetime:
        stamp = job.modstamp
        for batch in job.batches:
            info = self.batch_info(batch)
            if info.system_modstamp and info.system_modstamp > stamp:
                stamp = info.system_modstamp
        return stamp

    def job_info(self, job: Job) -> JobInfo:
        counts = dict.fromkeys(BatchState, 0)
        processed = failed = total_ms = api_ms = apex_ms = 0
        modstamp = job.modstamp
        for batch in job.batches:
            info = self.batch_info(batch)
            counts[batch.state] += 1
            processed += info.number_records_processed or 0
            failed += info.number_records_failed or 0
            total_ms += info.total_processing_time or 0
            api_ms += info.api_active_processing_time or 0
            apex_ms += info.apex_processing_time or 0
            if info.system_modstamp and info.system_modstamp > modstamp:
                modstamp = info.system_modstamp
        values: dict[str, Any] = {
            "numberBatchesQueued": counts[BatchState.QUEUED],
            "numberBatchesInProgress": counts[BatchState.IN_PROGRESS],
            "numberBatchesCompleted": counts[BatchState.COMPLETED],
            "numberBatchesFailed": counts[BatchState.FAILED],
            "numberBatchesTotal": len(job.batches),
            "numberRecordsProcessed": processed,
            "numberRetries": 0,
            "numberRecordsFailed": failed,
            "totalProcessingTime": total_ms,
            "apiActiveProcessingTime": api_ms,
            "apexProcessingTime": apex_ms,
        }
        values.update((k, v) for k, v in job.fixed.items() if k in values)
        return replace(
            self._identity(job, modstamp),
            number_batches_queued=values["numberBatchesQueued"],
            number_batches_in_progress=values["numberBatchesInProgress"],
            number_batches_completed=values["numberBatchesCompleted"],
            number_batches_failed=values["numberBatchesFailed"],
            number_batches_total=values["numberBatchesTotal"],
            number_records_processed=values["numberRecordsProcessed"],
            number_retries=values["numberRetries"],
            assignment_rule_id=job.assignment_rule_id,
            number_records_failed=values["numberRecordsFailed"],
            total_processing_time=values["totalProcessingTime"],
            api_active_processing_time=values["apiActiveProcessingTime"],
            apex_processing_time=values["apexProcessingTime"],
        )

    def list_row(self, job: Job) -> JobInfo:
        """A 2.0 list row: no counters (docs/wire-facts.md §5)."""
        modstamp = job.modstamp
        if job.batches:
            last = max((b.modstamp or b.created) for b in job.batches)
            modstamp = max(modstamp, last)
        row = replace(self._identity(job, modstamp), job_type=job.job_type)
        if not job.is_v2:
            return row
        return replace(
            row,
            content_type=ContentType.CSV,
            content_url=self.v2.content_url(job),
            line_ending=job.line_ending,
            column_delimiter=job.column_delimiter,
        )

    @staticmethod
    def _identity(job: Job, modstamp: datetime) -> JobInfo:
        """The fields a full JobInfo and a list row share."""
        return JobInfo(
            id=job.id,
            operation=job.operation,
            object=job.object_name,
            created_by_id=job.created_by,
            created_date=job.created,
            system_modstamp=modstamp,
            state=job.state,
            external_id_field_name=job.external_id,
            concurrency_mode=job.concurrency,
            content_type=job.content_type,
            api_version=job.api_version,
        )

    # ------------------------------------------------------------------ direct seeding

    def register_job(self, job: Job) -> Job:
        """Add a job built outside ``create_job`` (seeds); it takes the next list position."""
        job.seq = next(self._seq)
        return self._add_job(job)

    def new_job_id(self) -> str:
        return self._new_job_id()

    def new_batch_id(self) -> str:
        return ids.make_id("751", POD, next(self._batch_counter))

    def register_batch(self, batch: Batch) -> Batch:
        """Add a batch in whatever state it was built in; it counts against the allocation."""
        self._attach(batch)
        self._count_batch(batch.created)
        return batch


def _ms(value: datetime) -> datetime:
    """Salesforce keeps milliseconds."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _millis(end: datetime | None, start: datetime | None) -> int:
    if end is None or start is None:
        return 0
    return int((end - start).total_seconds() * 1000)


def _to18(sf_id: str) -> str:
    try:
        return ids.to18(sf_id.strip())
    except ids.InvalidIdError:
        return sf_id


_ORDINALS: dict[type, tuple[str, ...]] = {
    # Salesforce's JSON reader takes an enum's ordinal too: simple-salesforce sends
    # "concurrencyMode": 0 or 1 and real orgs accept it.
    ConcurrencyMode: ("Parallel", "Serial"),
}


def _enum(kind: Any, value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and kind in _ORDINALS:
        names = _ORDINALS[kind]
        value = names[value] if 0 <= value < len(names) else None
    member = kind.strict(value)
    if member is None:
        raise EmulatorError("InvalidJob", "Unable to parse Job")
    return member
