"""The journal's one-shot commands: ``history``, ``actions`` and ``journal --info``.

They read the local journal only: no network, no credentials. The org's journal is found from
``--journal PATH`` (or ``BULKTUI_JOURNAL``), else ``--instance-url``, else the profile's
instance URL (``--profile``, or the default profile), else the only journal there is.

``add_journal_options`` and ``journal_for_args`` are also what the console and the job commands
use to pick their journal (``--journal PATH`` / ``--no-journal`` / ``BULKTUI_JOURNAL``);
``command_journal`` is how a job command holds one for its run: a journal that cannot be used
costs one line on stderr and never the command's result or exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bulktui.cli.common import UsageError, fail, parse_states
from bulktui.cli.output import cell, emit, emit_json, format_when, table
from bulktui.text import cut, one_line

if TYPE_CHECKING:  # imported when a command runs: every other command's start stays quick
    from bulktui.core.journal import Journal, NullJournal
    from bulktui.core.journal_files import JournalChoice
    from bulktui.core.journal_queries import ActionEntry, HistoryEntry

log = logging.getLogger(__name__)
T = TypeVar("T")

CELL_WIDTH = 40  # a cell of server text is cut here in tables
MESSAGE_WIDTH = 72
_SINCE = re.compile(r"(\d{1,6})\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


# --------------------------------------------------------------------------- options


def add_journal_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """``--journal PATH`` and ``--no-journal``. ``suppress``: on a subcommand, so it does not
    overwrite what the top-level parser set."""
    group = parser.add_argument_group("journal")
    default: Any = argparse.SUPPRESS if suppress else None
    group.add_argument(
        "--journal",
        default=default,
        metavar="PATH",
        help="the journal file to use (env BULKTUI_JOURNAL; default: one per org under the "
        "user state directory)",
    )
    group.add_argument(
        "--no-journal",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="keep no journal this run",
    )


def journal_choice(
    args: argparse.Namespace,
    instance_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> JournalChoice:
    """Which journal ``args`` and the environment ask for, for the org at ``instance_url``."""
    from bulktui.core.journal_files import choose_path

    return choose_path(
        option=getattr(args, "journal", None),
        disabled=bool(getattr(args, "no_journal", False)),
        instance_url=instance_url,
        environ=environ,
    )


def journal_for_args(
    args: argparse.Namespace,
    instance_url: str | None,
    *,
    environ: Mapping[str, str] | None = None,
    on_problem: Callable[[str], None] | None = None,
    retention: timedelta | None = None,
) -> Journal | NullJournal:
    """The journal a console or job command writes to (created if need be), or a null
    journal whose ``problem`` (one line, or None when turned off) the caller shows once.
    ``on_problem`` hears, once, of a fault that ends the journal later in the run.

    ``retention`` defaults to the setting (``BULKTUI_JOURNAL_DAYS``, else ``config.toml``); a
    setting that cannot be used means no journal this run, never the default: pruning with a
    retention the user did not ask for could delete history they wanted kept."""
    from bulktui.core.journal import DEFAULT_RETENTION, NullJournal, open_journal
    from bulktui.core.settings import SettingsError, journal_retention

    choice = journal_choice(args, instance_url, environ)
    if retention is None and choice.path is not None:
        try:
            days = journal_retention(os.environ if environ is None else environ).days
        except SettingsError as exc:
            return NullJournal(f"{exc}; bulktui carries on without the journal until it is fixed")
        retention = timedelta(days=days)
    return open_journal(choice, on_problem=on_problem, retention=retention or DEFAULT_RETENTION)


@contextlib.contextmanager
def command_journal(
    args: argparse.Namespace, instance_url: str | None
) -> Iterator[Journal | NullJournal]:
    """The journal a one-shot job command records into, closed afterwards.

    Nothing about the journal stops the command: a file that cannot be used (damaged, locked,
    read-only, foreign, newer) or that fails mid-run is one line on stderr naming the file and
    what to do, and the command goes on as if it had no journal."""
    from bulktui.core.journal import NullJournal

    said: set[str] = set()

    def tell(line: str) -> None:
        if line not in said:
            said.add(line)
            print(f"bulktui: {one_line(line)}", file=sys.stderr)

    try:
        journal: Journal | NullJournal = journal_for_args(args, instance_url, on_problem=tell)
    except Exception as exc:  # the journal promises not to raise; a command never dies of it
        log.debug("opening the journal failed", exc_info=True)
        journal = NullJournal(
            f"the journal could not be opened ({type(exc).__name__}); bulktui carries on "
            "without it (--no-journal turns it off)"
        )
    if journal.problem:
        tell(journal.problem)
    try:
        yield journal
    finally:
        recording(journal, journal.close, None)


def recording(journal: Journal | NullJournal, call: Callable[[], T], default: T) -> T:
    """``call`` (a journal write or read) with any unexpected failure logged, never raised:
    the journal is a side record and must not change a command's result."""
    try:
        return call()
    except Exception as exc:
        log.debug("journal call failed", exc_info=True)
        log.warning("journal %s: not recorded (%s)", journal.path, type(exc).__name__)
        return default


# --------------------------------------------------------------------------- commands


def register(sub: Any) -> None:
    history = sub.add_parser(
        "history",
        help="past and purged jobs, from the local journal",
        description="Jobs that ended or that Salesforce purged, as the local journal kept "
        "them, newest first. Needs no network.",
    )
    history.add_argument(
        "--since",
        metavar="AGE",
        help="only jobs created since: 30d, 12h, 2w, or a date (2026-03-01)",
    )
    history.add_argument("--object", metavar="NAME", help="only jobs on this object")
    history.add_argument(
        "--state", action="append", metavar="S", help="only this state (repeatable)"
    )
    shape = history.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="an array of objects")
    shape.add_argument("--csv", action="store_true", help="comma-separated values")
    _org_options(history)
    history.set_defaults(handler=run_history)

    actions = sub.add_parser(
        "actions",
        help="the action log, from the local journal",
        description="Every close, abort and create bulktui sent, where from, and how it "
        "ended, newest first. Needs no network.",
    )
    actions.add_argument("--since", metavar="AGE", help="only actions since: 30d, 12h, or a date")
    actions.add_argument("--json", action="store_true", help="an array of objects")
    _org_options(actions)
    actions.set_defaults(handler=run_actions)

    journal = sub.add_parser(
        "journal",
        help="about the local journal",
        description="The local journal of an org: its file, size, counts and oldest entry.",
    )
    journal.add_argument("--info", action="store_true", help="print the summary (the default)")
    _org_options(journal)
    journal.set_defaults(handler=run_journal)


def _org_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("which org's journal")
    hidden = argparse.SUPPRESS
    group.add_argument("--profile", default=hidden, metavar="NAME", help="this profile's org")
    group.add_argument("--instance-url", default=hidden, metavar="URL", help="this org")
    group.add_argument("--journal", default=hidden, metavar="PATH", help="this journal file")


def run_history(args: argparse.Namespace) -> int:
    from bulktui.core.journal import NullJournal

    since = parse_since(args.since) if args.since else None
    states = tuple(sorted(s.value for s in parse_states(args.state or [])))
    with _reading(args) as journal:
        if isinstance(journal, NullJournal):
            return fail(journal.problem or "no journal", 1)
        entries = journal.history(since=since, object_name=args.object, states=states)
        if args.json:
            emit_json([_history_json(e) for e in entries])
        elif args.csv:
            emit(_csv(_HISTORY_HEADERS, (_history_row(e, width=None) for e in entries)))
        elif entries:
            emit(table(_HISTORY_HEADERS, (_history_row(e) for e in entries)))
        else:
            emit("No past jobs in the journal" + (" in that time.\n" if since else ".\n"))
    return 0


def run_actions(args: argparse.Namespace) -> int:
    from bulktui.core.journal import NullJournal

    since = parse_since(args.since) if args.since else None
    with _reading(args) as journal:
        if isinstance(journal, NullJournal):
            return fail(journal.problem or "no journal", 1)
        entries = journal.actions(since=since)
        if args.json:
            emit_json([_action_json(e) for e in entries])
        elif entries:
            emit(table(_ACTION_HEADERS, (_action_row(e) for e in entries)))
        else:
            emit("No actions in the journal" + (" in that time.\n" if since else ".\n"))
    return 0


def run_journal(args: argparse.Namespace) -> int:
    from bulktui.core.journal import NullJournal

    with _reading(args) as journal:
        if isinstance(journal, NullJournal):
            return fail(journal.problem or "no journal", 1)
        info = journal.info()
        if info is None:
            return fail(journal.problem or f"journal {journal.path} cannot be read", 1)
        rows = [
            ("file", str(info.path)),
            ("size", _size(info.size_bytes)),
            ("jobs", f"{info.jobs:,} ({info.purged_jobs:,} purged)"),
            ("actions", f"{info.actions:,}"),
            ("oldest entry", format_when(info.oldest) if info.oldest else "none"),
            ("retention", _retention_text()),
            ("schema version", str(info.schema_version)),
        ]
        emit("".join(f"{label:<15} {one_line(value)}\n" for label, value in rows))
    return 0


# --------------------------------------------------------------------------- helpers


def _retention_text() -> str:
    """The retention a console or job command would use now, and where it comes from."""
    from bulktui.core.settings import SettingsError, journal_retention

    try:
        retention = journal_retention(os.environ)
    except SettingsError as exc:
        return f"not usable: {exc} (nothing is pruned until it is fixed)"
    where = "" if retention.source == "default" else f" (from {retention.source})"
    return f"{retention.days} days{where}"


def parse_since(text: str) -> datetime:
    """``30d`` / ``12h`` / ``90m`` / ``2w`` ago, or a date or time (UTC unless it says)."""
    raw = text.strip()
    match = _SINCE.fullmatch(raw.lower())
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: amount})
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"--since {raw[:40]!r} is not like 30d, 12h, 2w or 2026-03-01") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@contextlib.contextmanager
def _reading(args: argparse.Namespace) -> Iterator[Journal | NullJournal]:
    """The org's journal, opened for reading (never created), closed afterwards."""
    from bulktui.core.journal import open_journal

    journal = open_journal(_command_choice(args), create=False)
    try:
        yield journal
    finally:
        journal.close()


def _command_choice(args: argparse.Namespace) -> JournalChoice:
    from bulktui.core import journal_files
    from bulktui.core.journal_files import JournalChoice

    explicit = getattr(args, "journal", None) or os.environ.get(journal_files.ENV, "").strip()
    if explicit and explicit.lower() not in journal_files.OFF_WORDS:
        return journal_choice(args, None)
    url = getattr(args, "instance_url", None) or _profile_url(getattr(args, "profile", None))
    if url:
        try:
            return JournalChoice(journal_files.default_path(url))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    found = journal_files.known_journals()
    if len(found) == 1:
        return JournalChoice(found[0])
    if not found:
        return JournalChoice(None, f"nothing recorded yet in {journal_files.journal_dir()}")
    names = ", ".join(p.stem for p in found[:5]) + (", …" if len(found) > 5 else "")
    raise UsageError(
        f"which org? journals for {names}: pass --profile, --instance-url or --journal PATH"
    )


def _profile_url(name: str | None) -> str | None:
    """The instance URL a stored profile records (no secret is read, nothing is sent)."""
    from bulktui.auth.errors import AuthInputError
    from bulktui.auth.profiles import ProfileStore

    try:
        store = ProfileStore()
        if name is None:
            data = store.read()
            profile = data.profiles.get(data.default_name) if data.default_name else None
        else:
            profile = store.get(name)
    except (AuthInputError, OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if profile is None:
        return None
    if not profile.instance_url:
        raise UsageError(
            f"profile {profile.name} records no instance URL; pass --instance-url or --journal"
        )
    return profile.instance_url


def _safe(value: Any, width: int | None = CELL_WIDTH) -> str:
    text = cell(value)
    return text if width is None else cut(text, width)


def _when(value: datetime | None) -> str:
    return format_when(value) if value is not None else ""


_HISTORY_HEADERS = (
    "ID",
    "CREATED",
    "OBJECT",
    "OPERATION",
    "KIND",
    "STATE",
    "PROCESSED",
    "FAILED",
    "ENDED",
    "PURGED",
)


def _history_row(e: HistoryEntry, width: int | None = CELL_WIDTH) -> list[str]:
    job = e.job
    return [
        _safe(job.id, width),
        _when(job.created_date),
        _safe(job.object, width),
        _safe(job.operation, width),
        _safe(e.kind, width),
        _safe(job.state, width),
        _safe(job.number_records_processed, width),
        _safe(job.number_records_failed, width),
        _when(e.ended_at),
        _when(e.purged_at),
    ]


def _history_json(e: HistoryEntry) -> dict[str, Any]:
    return {
        "job": e.job.to_wire(),
        "kind": e.kind,
        "firstSeen": _iso(e.first_seen),
        "lastListed": _iso(e.last_listed),
        "endedAt": _iso(e.ended_at),
        "purgedAt": _iso(e.purged_at),
        "recordedAt": _iso(e.recorded_at),
    }


_ACTION_HEADERS = ("AT", "USER", "JOB", "ACTION", "FROM", "OUTCOME", "MESSAGE")


def _action_row(e: ActionEntry) -> list[str]:
    origin = f"rule {e.rule}" if e.rule else e.origin
    return [
        _when(e.at),
        _safe(e.user),
        _safe(e.job_id),
        _safe(e.action),
        _safe(origin),
        _safe(e.outcome),
        _safe(e.message, MESSAGE_WIDTH),
    ]


def _action_json(e: ActionEntry) -> dict[str, Any]:
    return {
        "at": _iso(e.at),
        "orgId": e.org_id,
        "user": e.user,
        "jobId": e.job_id,
        "action": e.action,
        "origin": e.origin,
        "rule": e.rule,
        "outcome": e.outcome,
        "message": e.message,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _csv(headers: Sequence[str], rows: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        # Cells are already one safe line; a leading = + - @ is quoted so a spreadsheet
        # reads server text as text, not as a formula.
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row])
    return out.getvalue()


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    size = float(n)
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:,.1f} {unit}"
