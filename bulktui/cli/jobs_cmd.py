"""One-shot job commands: ``jobs``, ``show``, ``close``, ``abort``, ``create``.

Bad input (a malformed job id, an unknown state name, a missing connection) is refused with
exit 2 before any request is sent. Close and abort ask first on a terminal and refuse off one
unless ``--yes`` says so: they cannot be undone.

Each command records what it learns in the org's journal (docs/journal.md), as the console
does: ``jobs`` the listing (and which jobs Salesforce has purged since), ``show`` the JobInfo
and batches, ``close``/``abort``/``create`` their outcome in the action log (origin "cli").
A journal that cannot be used is one line on stderr; the command's result is the same.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bulktui.api.client import BulkClient
from bulktui.api.enums import ContentType, JobState
from bulktui.api.errors import BulkError, JobNotFoundError
from bulktui.api.ids import InvalidIdError, parse_job_id
from bulktui.api.lifecycle import JobAction, JobKind, action_label, has_counts, kind_of
from bulktui.api.models import JobInfo
from bulktui.cli.common import UsageError, fail, parse_states
from bulktui.cli.connection import add_subcommand_connection_options, resolve_connection
from bulktui.cli.history_cmd import add_journal_options, command_journal, recording
from bulktui.cli.output import (
    batch_table,
    batch_wire,
    cell,
    emit,
    emit_json,
    job_details,
    table,
)
from bulktui.core.actions import (
    Action,
    ActionOutcome,
    ActionRefused,
    ActionRunner,
    ActionSucceeded,
    ActionUncertain,
)
from bulktui.core.jobspec import validate_new_job
from bulktui.text import one_line

if TYPE_CHECKING:  # the journal module (and sqlite3) load only when a command runs
    from bulktui.core.journal import Journal, NullJournal

    JournalT = Journal | NullJournal

log = logging.getLogger(__name__)
T = TypeVar("T")
# Jobs a `jobs` run confirms gone (one GET each) before the journal calls them purged; the
# rest wait for a later run, so a big purge never turns one listing into a burst.
MAX_PURGE_CHECKS = 20
PURGE_CHECKS_AT_ONCE = 4
WHOAMI_WAIT = 5.0  # seconds: who acted, for the action log; the action is done by then
_KIND_CHOICES = {"v1": JobKind.V1, "v2": JobKind.V2_INGEST, "v2query": JobKind.V2_QUERY}
_OLDEST = datetime.min.replace(tzinfo=UTC)


def register(sub: Any) -> None:
    jobs = sub.add_parser(
        "jobs",
        help="list every job in the org",
        description="List every Bulk API job in the org (1.0 and 2.0), newest first.",
    )
    jobs.add_argument("--json", action="store_true", help="an array of jobs keyed by wire names")
    jobs.add_argument(
        "--state",
        action="append",
        metavar="S",
        help="only jobs in this state (repeatable): " + ", ".join(s.value for s in JobState),
    )
    jobs.add_argument("--object", metavar="NAME", help="only jobs on this object")
    jobs.add_argument(
        "--type",
        action="append",
        choices=list(_KIND_CHOICES),
        help="only jobs of this kind (repeatable): v1 (Bulk API 1.0), v2 (2.0 ingest), "
        "v2query (2.0 query)",
    )
    add_subcommand_connection_options(jobs)
    add_journal_options(jobs, suppress=True)
    jobs.set_defaults(handler=run_jobs)

    show = sub.add_parser("show", help="show one job", description="Show a job's JobInfo.")
    show.add_argument("job_id", metavar="JOB_ID")
    show.add_argument("--json", action="store_true", help="the job keyed by wire names")
    show.add_argument("--batches", action="store_true", help="also list its batches")
    add_subcommand_connection_options(show)
    add_journal_options(show, suppress=True)
    show.set_defaults(handler=run_show)

    for name, verb in (("close", "Close"), ("abort", "Abort")):
        change = sub.add_parser(
            name,
            help=f"{name} a job",
            description=f"{verb} a job. Asks first on a terminal; needs --yes otherwise.",
        )
        change.add_argument("job_id", metavar="JOB_ID")
        change.add_argument("--yes", "-y", action="store_true", help="do not ask")
        add_subcommand_connection_options(change)
        add_journal_options(change, suppress=True)
        change.set_defaults(handler=run_close if name == "close" else run_abort)

    create = sub.add_parser("create", help="create a job", description="Create a Bulk 1.0 job.")
    create.add_argument("--object", required=True, metavar="O", help="sObject, e.g. Account")
    create.add_argument(
        "--operation",
        required=True,
        metavar="OP",
        help="insert, update, upsert, delete, hardDelete, query or queryAll (exact case)",
    )
    create.add_argument(
        "--content-type",
        default=ContentType.CSV.value,
        metavar="TYPE",
        help="CSV (default), XML, JSON, ZIP_CSV, ZIP_XML or ZIP_JSON",
    )
    create.add_argument("--external-id-field", metavar="F", help="needed for upsert")
    create.add_argument(
        "--concurrency", metavar="MODE", help="Parallel or Serial (1.0 jobs; exact case)"
    )
    create.add_argument("--json", action="store_true", help="the new job keyed by wire names")
    add_subcommand_connection_options(create)
    add_journal_options(create, suppress=True)
    create.set_defaults(handler=run_create)


# --------------------------------------------------------------------------- jobs


def run_jobs(args: argparse.Namespace) -> int:
    states = parse_states(args.state or [])
    kinds = {_KIND_CHOICES[t] for t in args.type or []}
    wanted_object = (args.object or "").strip().lower()

    async def work(client: BulkClient, journal: JournalT) -> tuple[list[JobInfo], dict[str, str]]:
        jobs = await client.list_jobs()
        await _note_listing(client, journal, jobs)  # the whole listing, before any filter
        jobs = [
            j
            for j in jobs
            if (not states or j.state in states)
            and (not kinds or kind_of(j) in kinds)
            and (not wanted_object or (j.object or "").lower() == wanted_object)
        ]
        jobs.sort(key=lambda j: j.created_date or _OLDEST, reverse=True)
        names = {} if args.json else await _names(client, {j.created_by_id for j in jobs})
        return jobs, names

    jobs, names = _run_journaled(args, work)
    if args.json:
        emit_json([j.to_wire() for j in jobs])
        return 0
    if not jobs:
        emit("No jobs.\n")
        return 0
    headers = ["JOB ID", "OBJECT", "OPERATION", "STATE", "TYPE", "CREATED BY", "CREATED"]
    rows = [
        [
            cell(j.id),
            cell(j.object),
            cell(j.operation),
            cell(j.state),
            kind_of(j).value,  # the Setup page's words: V1, V2, V2 query
            cell(names.get(j.created_by_id or "", j.created_by_id)),
            cell(j.created_date),
        ]
        for j in jobs
    ]
    emit(table(headers, rows))
    return 0


async def _note_listing(client: BulkClient, journal: JournalT, listed: Sequence[JobInfo]) -> None:
    """Record a listing, and call a job the journal knew purged only once a GET confirms that
    no endpoint knows it (a listing cut short by a page cap must not purge anything)."""
    if not journal.enabled:
        return
    at = datetime.now(UTC)
    none: list[str] = []
    vanished = recording(journal, lambda: journal.record_listing(listed, at), none)
    if not vanished:
        return
    checked = vanished[:MAX_PURGE_CHECKS]
    limit = asyncio.Semaphore(PURGE_CHECKS_AT_ONCE)

    async def confirm(job_id: str) -> None:
        async with limit:
            try:
                job = await client.find_job(job_id)
            except JobNotFoundError:
                recording(journal, lambda: journal.mark_purged(job_id, at), None)
                return
            except BulkError:
                return  # not settled (a network error, a refusal): a later run asks again
        recording(journal, lambda: journal.record_job(job, datetime.now(UTC)), None)

    await asyncio.gather(*(confirm(job_id) for job_id in checked))
    if len(vanished) > len(checked):
        print(
            f"bulktui: journal: {len(vanished):,} jobs it knew are no longer listed; "
            f"{len(checked)} were checked for purging (at most {MAX_PURGE_CHECKS} a run), "
            "the rest are checked by later runs",
            file=sys.stderr,
        )


async def _names(client: BulkClient, ids: set[str | None]) -> dict[str, str]:
    """User names for display; a listing is still useful without them, so failures are quiet."""
    try:
        return await client.user_names(i for i in ids if i)
    except BulkError:
        return {}


# --------------------------------------------------------------------------- show


def run_show(args: argparse.Namespace) -> int:
    job_id = _job_id(args.job_id)

    async def work(
        client: BulkClient, journal: JournalT
    ) -> tuple[JobInfo, tuple[Any, ...], dict[str, str]]:
        try:
            job = await client.find_job(job_id)  # whichever kind: 1.0, 2.0 ingest, 2.0 query
        except JobNotFoundError:
            # No endpoint knows it: if the journal did, Salesforce has purged it.
            gone = datetime.now(UTC)
            recording(journal, lambda: journal.mark_purged(job_id, gone), None)
            raise _NoSuchJob(job_id) from None
        seen = datetime.now(UTC)
        recording(journal, lambda: journal.record_job(job, seen), None)
        v1 = kind_of(job) is JobKind.V1
        batches = await client.list_batches(job_id) if args.batches and v1 else ()
        if batches:
            listed = datetime.now(UTC)
            recording(journal, lambda: journal.record_batches(job_id, batches, listed), None)
        names = {} if args.json else await _names(client, {job.created_by_id})
        return job, batches, names

    job, batches, names = _run_journaled(args, work)
    if args.json:
        out = job.to_wire()
        if args.batches:
            out["batchInfo"] = [batch_wire(b) for b in batches]
        emit_json(out)
        return 0
    emit(job_details(job, names))
    if args.batches and kind_of(job) is JobKind.V1:
        emit("\n" + batch_table(batches))
    elif args.batches:
        print("bulktui: a Bulk API 2.0 job has no batches to list", file=sys.stderr)
    return 0


class _NoSuchJob(BulkError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id}: no such job in this org")


# --------------------------------------------------------------------------- close / abort

# Exit codes of close, abort and create beyond 0 (done), 1 (refused) and 2 (bad input).
EXIT_UNCERTAIN = 3  # the request was sent; it may or may not have happened


def run_close(args: argparse.Namespace) -> int:
    return _change_state(args, Action.CLOSE)


def run_abort(args: argparse.Namespace) -> int:
    return _change_state(args, Action.ABORT)


def _runner(client: BulkClient) -> ActionRunner:
    """The one action path, as the console uses it (listeners such as a journal go here)."""
    return ActionRunner(client)


async def _journaled_action(
    client: BulkClient,
    journal: JournalT,
    act: Callable[[ActionRunner], Awaitable[ActionOutcome]],
) -> ActionOutcome:
    """Run ``act`` on a runner whose outcomes go to the journal's action log, refused and
    uncertain ones included, with who acted (one userinfo GET, after the action: an action
    is never held back for the log)."""
    runner = _runner(client)
    heard: list[ActionOutcome] = []
    if journal.enabled:
        runner.add_listener(heard.append)
    try:
        outcome = await act(runner)
    except BaseException:  # cancelled (Ctrl+C): log what was heard, without asking who
        _log_actions(journal, heard, None, None)
        raise
    org_id, user = await _whoami(client) if heard else (None, None)
    _log_actions(journal, heard, org_id, user)
    return outcome


def _log_actions(
    journal: JournalT, heard: list[ActionOutcome], org_id: str | None, user: str | None
) -> None:
    for outcome in heard:
        recording(journal, functools.partial(journal.record_action, outcome, org_id, user), None)
    heard.clear()


async def _whoami(client: BulkClient) -> tuple[str | None, str | None]:
    try:
        me = await asyncio.wait_for(client.whoami(), WHOAMI_WAIT)
    except Exception:  # the action is done: not knowing who did it must not hide its outcome
        log.debug("who acted could not be read", exc_info=True)
        return None, None
    return me.org_id or None, me.username or None


def _change_state(args: argparse.Namespace, action: Action) -> int:
    job_id = _job_id(args.job_id)
    interactive = not args.yes
    if interactive and not _stdin_is_terminal():
        raise UsageError(
            f"not a terminal, so nothing to confirm with: pass --yes to {action} job {job_id}"
        )
    connection, reauth = resolve_connection(args)
    with command_journal(args, connection.instance_url) as journal:
        known: JobInfo | None = None
        if interactive:

            async def look_up(client: BulkClient) -> JobInfo | ActionRefused:
                return await _runner(client).look_up(job_id, action)

            found = _run_with(connection, reauth, look_up)
            if isinstance(found, ActionRefused):
                # Logged as `--yes` would have: the same refusal, from the command line.
                refused = dataclasses.replace(found, origin="cli")
                recording(journal, lambda: journal.record_action(refused), None)
                return _report(found)
            seen = datetime.now(UTC)
            recording(journal, lambda: journal.record_job(found, seen), None)
            # Asked with no event loop running, so Ctrl+C cancels at once (exit 130).
            label = action_label(found, JobAction(action.value))
            if not _confirm(f"{label.capitalize()} job {job_id} ({_summary(found)})?"):
                print(f"bulktui: nothing was sent; job {job_id} is unchanged", file=sys.stderr)
                return 1
            known = found

        async def change(runner: ActionRunner) -> ActionOutcome:
            call = runner.close if action is Action.CLOSE else runner.abort
            return await call(job_id, origin="cli", known=known)

        async def act(client: BulkClient) -> ActionOutcome:
            return await _journaled_action(client, journal, change)

        return _report(_run_with(connection, reauth, act))


def _report(outcome: ActionOutcome) -> int:
    if isinstance(outcome, ActionSucceeded):
        job = outcome.job
        if outcome.action is Action.CREATE:
            return 0
        emit(f"{cell(job.id)}: {cell(job.state)}{_batch_progress(job)}\n")
        if "nothing was stopped" in outcome.message:
            print(f"bulktui: {one_line(outcome.message)}", file=sys.stderr)
        return 0
    if isinstance(outcome, ActionUncertain):
        return fail(outcome.reason, EXIT_UNCERTAIN)
    return fail(outcome.reason, 1)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _confirm(question: str) -> bool:
    """Ask on stderr (stdout may be piped); anything but yes, including EOF, means no."""
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _summary(job: JobInfo) -> str:
    parts = [kind_of(job).value, cell(job.operation), cell(job.object), cell(job.state)]
    return " ".join(p for p in parts if p) + _batch_progress(job)


def _batch_progress(job: JobInfo) -> str:
    if kind_of(job) is not JobKind.V1 or not has_counts(job):
        return ""
    return (
        f", batches: {job.number_batches_queued or 0} queued, "
        f"{job.number_batches_in_progress or 0} in progress, "
        f"{job.number_batches_completed or 0} completed, "
        f"{job.number_batches_failed or 0} failed of {job.number_batches_total or 0}"
    )


# --------------------------------------------------------------------------- create


def run_create(args: argparse.Namespace) -> int:
    # The console's new-job dialog checks the same things in the same words.
    spec = validate_new_job(
        args.object,
        args.operation,
        args.content_type,
        args.external_id_field or "",
        args.concurrency or "",
    )
    if isinstance(spec, str):
        raise UsageError(f"{spec}; nothing was sent")

    async def create(runner: ActionRunner) -> ActionOutcome:
        return await runner.create(
            spec.object,
            spec.operation,
            content_type=spec.content_type,
            external_id_field_name=spec.external_id_field_name,
            concurrency_mode=spec.concurrency_mode,
            origin="cli",
        )

    async def work(client: BulkClient, journal: JournalT) -> ActionOutcome:
        return await _journaled_action(client, journal, create)

    outcome = _run_journaled(args, work)
    if not isinstance(outcome, ActionSucceeded):
        return _report(outcome)
    if args.json:
        emit_json(outcome.job.to_wire())
    else:
        emit(job_details(outcome.job))
    return 0


# --------------------------------------------------------------------------- plumbing


def _job_id(text: str) -> str:
    try:
        return parse_job_id(text)
    except InvalidIdError as exc:
        raise UsageError(str(exc)) from None


def _run(args: argparse.Namespace, work: Callable[[BulkClient], Awaitable[T]]) -> T:
    connection, reauth = resolve_connection(args)
    return _run_with(connection, reauth, work)


def _run_journaled(
    args: argparse.Namespace, work: Callable[[BulkClient, JournalT], Awaitable[T]]
) -> T:
    """``_run`` with the org's journal open (``--journal``/``--no-journal``/``BULKTUI_JOURNAL``)."""
    connection, reauth = resolve_connection(args)
    with command_journal(args, connection.instance_url) as journal:
        return _run_with(connection, reauth, lambda client: work(client, journal))


def _run_with(connection: Any, reauth: Any, work: Callable[[BulkClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with BulkClient(connection, reauthenticate=reauth) as client:
            return await work(client)

    return asyncio.run(main())
