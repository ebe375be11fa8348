"""``bulktui results JOB_ID [--failed|--successful|--unprocessed] [-o FILE]``: a job's records
as CSV, streamed from the server to the output (memory stays flat whatever the size).

- 2.0 ingest job: the chosen result set as the server sends it (default ``--failed``).
- 2.0 query job: its records, every page, one header line.
- 1.0 ingest job: every batch's failed (default) or successful results merged, the batch id
  as the first column (``Batch Id``, ``Id``, ``Success``, ``Created``, ``Error``).
- 1.0 query job (CSV): every result set of every batch merged, the batch id first.

A job that is still running is refused (exit 2): its results are not final. ``-o FILE`` is
written to a temporary file beside it (mode 0600) and renamed at the end, so a broken stream
never leaves a file that looks complete. On a terminal, control characters in the records are
shown as escapes; into a pipe or a file the bytes are written as sent.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import stat
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from bulktui.api.client import BulkClient
from bulktui.api.enums import BatchState, ContentType, JobState, ResultSet
from bulktui.api.errors import BulkError
from bulktui.api.lifecycle import JobKind, is_live, kind_of
from bulktui.api.models import JobInfo
from bulktui.api.results import CsvRecordReader
from bulktui.cli.common import UsageError
from bulktui.cli.connection import add_subcommand_connection_options
from bulktui.cli.history_cmd import add_journal_options, recording
from bulktui.cli.jobs_cmd import _job_id, _run_journaled
from bulktui.text import printable

if TYPE_CHECKING:
    from bulktui.cli.jobs_cmd import JournalT

MAX_MERGED_RECORD_BYTES = 64 * 1024 * 1024  # one record of a 1.0 query result set
V1_HEADER = ("Batch Id", "Id", "Success", "Created", "Error")


def register(sub: Any) -> None:
    results = sub.add_parser(
        "results",
        help="write a job's records as CSV",
        description="Write a finished job's records as CSV: a 2.0 ingest job's failed "
        "(default), successful or unprocessed records; a query job's records; a 1.0 job's "
        "batch results merged, with the batch id as the first column.",
    )
    results.add_argument("job_id", metavar="JOB_ID")
    which = results.add_mutually_exclusive_group()
    for flag, result_set in (
        ("--failed", ResultSet.FAILED),
        ("--successful", ResultSet.SUCCESSFUL),
        ("--unprocessed", ResultSet.UNPROCESSED),
    ):
        which.add_argument(
            flag, dest="which", action="store_const", const=result_set, help=f"{flag[2:]} records"
        )
    results.add_argument("-o", "--output", metavar="FILE", help="write here (default stdout)")
    add_subcommand_connection_options(results)
    add_journal_options(results, suppress=True)
    results.set_defaults(handler=run_results, which=None)


def run_results(args: argparse.Namespace) -> int:
    job_id = _job_id(args.job_id)
    which: ResultSet | None = args.which
    sink = _Sink.open(args.output)

    async def work(client: BulkClient, journal: JournalT) -> None:
        job = await client.find_job(job_id)
        _note_counts(journal, job)
        source = _records(client, job, which)
        await sink.write_all(source)

    try:
        _run_journaled(args, work)
    except BaseException:
        sink.discard()
        raise
    sink.commit()
    return 0


def _note_counts(journal: JournalT, job: JobInfo) -> None:
    """The job as just read, with its record counts, into the journal (never its records)."""
    at = datetime.now(UTC)
    recording(journal, lambda: journal.record_job(job, at), None)
    if kind_of(job) is JobKind.V2_INGEST and not is_live(job):
        processed, failed = job.number_records_processed, job.number_records_failed
        recording(
            journal,
            lambda: journal.record_result_counts(job.id, at, processed=processed, failed=failed),
            None,
        )


def _records(client: BulkClient, job: JobInfo, which: ResultSet | None) -> AsyncIterator[bytes]:
    """The CSV bytes to write, or UsageError (exit 2) for what this job cannot give."""
    kind = kind_of(job)
    if is_live(job):
        state = job.state.value if job.state is not None else "unknown"
        if kind is JobKind.V1 and job.state is not JobState.OPEN:
            state += ", batches still in progress"
        raise UsageError(
            f"job {job.id} is still running ({state}): its results are not final yet; "
            "run this again when it has ended"
        )
    if kind is JobKind.V2_INGEST:
        return client.iter_results_v2(job.id, which or ResultSet.FAILED)
    query = job.operation is not None and job.operation.is_query
    if query and which not in (None, ResultSet.SUCCESSFUL):
        raise UsageError(f"job {job.id} is a query: it has records, not {which} ones")
    if kind is JobKind.V2_QUERY:
        return client.iter_query_results_v2(job.id)
    if which is ResultSet.UNPROCESSED:
        raise UsageError(
            f"job {job.id} is a Bulk API 1.0 job, which keeps no unprocessed records "
            "(bulktui show JOB_ID --batches lists the batches that were not processed)"
        )
    if query:
        if job.content_type not in (None, ContentType.CSV):
            raise UsageError(f"job {job.id} returns {job.content_type} results; only CSV merges")
        return _v1_query_records(client, job)
    return _v1_results(client, job, which or ResultSet.FAILED)


async def _v1_results(client: BulkClient, job: JobInfo, which: ResultSet) -> AsyncIterator[bytes]:
    """Every batch's failed or successful results with the batch id first. One batch (at most
    10,000 records) is held at a time."""
    yield _csv_line(V1_HEADER)
    for batch in await client.list_batches(job.id):
        if batch.state is BatchState.NOT_PROCESSED:
            continue  # no results: its records were never processed
        text = io.StringIO()
        writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for result in await client.get_batch_results(job.id, batch.id):
            if which is ResultSet.FAILED and result.success:
                continue
            if which is ResultSet.SUCCESSFUL and not result.success:
                continue
            created = "true" if result.created else "false"
            success = "true" if result.success else "false"
            writer.writerow([batch.id, result.id or "", success, created, result.error or ""])
        yield text.getvalue().encode()


async def _v1_query_records(client: BulkClient, job: JobInfo) -> AsyncIterator[bytes]:
    """Every result set of every batch, record by record with the batch id in front; the
    header line once."""
    header_written = False
    for batch in await client.list_batches(job.id):
        if batch.state is not BatchState.COMPLETED:
            continue
        for result_id in await client.get_query_result_ids(job.id, batch.id):
            reader = CsvRecordReader(max_record_bytes=MAX_MERGED_RECORD_BYTES)
            first = True
            prefix = _csv_line((batch.id,)).rstrip(b"\n") + b","
            pieces = client.iter_query_result(job.id, batch.id, result_id)
            async for records in _record_lists(reader, pieces):
                out = []
                for data, cut in records:
                    if cut:
                        raise BulkError(
                            f"a record of result {result_id} is longer than "
                            f"{MAX_MERGED_RECORD_BYTES:,} bytes; not merged"
                        )
                    if first:
                        first = False
                        if header_written:
                            continue
                        header_written = True
                        out.append(_csv_line(("Batch Id",)).rstrip(b"\n") + b"," + data)
                        continue
                    out.append(prefix + data)
                yield b"".join(out)


async def _record_lists(
    reader: CsvRecordReader, pieces: AsyncIterator[bytes]
) -> AsyncIterator[list[tuple[bytes, bool]]]:
    async for piece in pieces:
        yield reader.feed_records(piece)
    yield reader.finish_records()


def _csv_line(cells: tuple[str, ...]) -> bytes:
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(cells)
    return text.getvalue().encode()


# --------------------------------------------------------------------------- output


class _Sink:
    """Where the records go: a file (through a temporary file renamed at the end) or stdout
    (escaped on a terminal)."""

    def __init__(
        self,
        stream: BinaryIO,
        path: str | None,
        temp: str | None,
        tty: bool,
        shown: str | None = None,
    ) -> None:
        self._stream = stream
        self._path = path  # where the temporary file goes at the end
        self._temp = temp
        self._tty = tty
        self._shown = shown or path  # the path as the user gave it, for messages
        self._owned = stream is not sys.stdout.buffer  # ours to close
        self._pending = b""  # an incomplete UTF-8 sequence at the end of a piece (terminal)

    @classmethod
    def open(cls, path: str | None) -> _Sink:
        if path is None:
            stream = sys.stdout.buffer
            return cls(stream, None, None, _is_terminal(stream))
        if os.path.isdir(path):
            raise UsageError(f"-o {path}: is a folder")
        # A file is written beside its final place and renamed over it at the end (no half
        # file if the job read fails). Through a symlink: the file it points at, keeping the
        # link. A device or a pipe (-o /dev/stdout, a process substitution) is written to as
        # it is: renaming over it would replace /dev/stdout itself, for root.
        try:
            special = os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode)
            if special:  # opened as given: /dev/stdout resolves to no path a rename could use
                stream = open(path, "wb")  # noqa: SIM115 - closed by commit or discard
                return cls(stream, None, None, _is_terminal(stream), path)
        except OSError as exc:
            raise UsageError(f"-o {path}: cannot write there ({exc.strerror})") from None
        real = os.path.realpath(path)
        folder = os.path.dirname(real)
        if not os.path.isdir(folder):
            raise UsageError(f"-o {path}: no such folder {folder}")
        try:
            fd, temp = tempfile.mkstemp(prefix=".bulktui-results-", suffix=".partial", dir=folder)
        except OSError as exc:
            raise UsageError(f"-o {path}: cannot write there ({exc.strerror})") from None
        return cls(os.fdopen(fd, "wb"), real, temp, False, path)

    async def write_all(self, pieces: AsyncIterator[bytes]) -> None:
        try:
            async for piece in pieces:
                self._write(piece)
            if self._pending:
                self._write_text(self._pending.decode("utf-8", "replace"))
            self._stream.flush()
        except BrokenPipeError:
            _quiet_stdout()
            raise SystemExit(0) from None

    def _write(self, piece: bytes) -> None:
        if not self._tty:
            self._stream.write(piece)
            return
        data = self._pending + piece
        keep = _incomplete_tail(data)
        self._pending = data[len(data) - keep :] if keep else b""
        self._write_text(data[: len(data) - keep].decode("utf-8", "replace"))

    def _write_text(self, text: str) -> None:
        safe = "\n".join(printable(line) for line in text.split("\n"))
        self._stream.write(safe.encode("utf-8", "backslashreplace"))

    def commit(self) -> None:
        if self._temp is None or self._path is None:
            if self._owned:  # a device or a pipe: written to as it is
                self._stream.close()
            return
        self._stream.close()
        try:
            os.replace(self._temp, self._path)
        except OSError as exc:
            self.discard()
            raise UsageError(f"-o {self._shown}: cannot write there ({exc.strerror})") from None
        self._temp = None

    def discard(self) -> None:
        if self._temp is None:
            if self._owned:
                with contextlib.suppress(OSError):
                    self._stream.close()
            return
        with contextlib.suppress(OSError):  # a full disk may refuse the buffered rest
            self._stream.close()
        with contextlib.suppress(OSError):
            os.unlink(self._temp)
        self._temp = None


def _incomplete_tail(data: bytes) -> int:
    """How many bytes at the end of ``data`` start a UTF-8 sequence that is not complete."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII): does its sequence fit?
            need = 2 if byte >= 0xC0 else 1
            need = 3 if byte >= 0xE0 else need
            need = 4 if byte >= 0xF0 else need
            return back if need > back else 0
    return 0


def _is_terminal(stream: BinaryIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _quiet_stdout() -> None:
    """A reader that went away (``| head``): later writes and the exit flush must not fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
