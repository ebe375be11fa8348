"""Reading record results as they stream in, and grouping failed records by error, in bounded
memory whatever the server sends.

A result set can be millions of rows, hold 10 MB fields, quoted line breaks, a byte order mark
or terminal escapes. ``CsvRecordReader`` cuts the byte stream into CSV records by counting
quotes (a line feed ends a record only outside quotes; ``""`` inside a quoted field keeps the
count even), holds at most ``max_record_bytes`` of any one record (the rest of a longer record
is skipped and the row marked cut) and parses the records with the ``csv`` module. Grouping
keeps at most ``max_groups`` groups of at most ``max_samples`` rows of cells cut to
``MAX_CELL_CHARS``: what it holds does not grow with the input. Cell text is kept as sent;
whoever shows it makes it safe (``bulktui.text``).

Error texts look like ``CODE:message:fields --`` (2.0 ``sf__Error``, 1.0 CSV ``Error``), see
docs/wire-facts.md §6.1.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field

from bulktui.api.enums import ColumnDelimiter
from bulktui.api.errors import ResponseFormatError
from bulktui.api.models import JobInfo, RecordResult
from bulktui.text import CUT_MARK, cut

__all__ = [
    "DEFAULT_MAX_GROUPS",
    "DEFAULT_MAX_SAMPLES",
    "CsvRecordReader",
    "ErrorGroup",
    "FailedRecordGroups",
    "delimiter_of",
    "group_failed_v1",
    "group_failed_v2",
    "iter_csv_rows",
    "split_error",
]

DEFAULT_MAX_GROUPS = 50
DEFAULT_MAX_SAMPLES = 5
# Below the csv module's default field_size_limit (131,072 characters), so no field of a kept
# record can make the parser fail, and the process-wide limit is never changed.
MAX_RECORD_BYTES = 128 * 1024
MAX_CELL_CHARS = 2_000  # a sample cell, an error message
MAX_CODE_CHARS = 100
MAX_SAMPLE_COLUMNS = 200
SLICE_BYTES = 256 * 1024  # the most the record splitter scans in one go
ERROR_COLUMN = "sf__Error"
NO_CODE = "(no error code)"
_BOM = codecs.BOM_UTF8


# --------------------------------------------------------------------------- reading CSV


def delimiter_of(job: JobInfo) -> str:
    """The column delimiter of a 2.0 job's CSV (its results use the job's own), "," if unset."""
    if not job.column_delimiter:
        return ","
    return ColumnDelimiter(job.column_delimiter).char


@dataclass(slots=True)
class _Record:
    data: bytes
    cut: bool  # longer than the cap: only its head was kept


class CsvRecordReader:
    """Feed byte pieces, get parsed rows back; holds at most one record's head between feeds."""

    def __init__(self, *, delimiter: str = ",", max_record_bytes: int = MAX_RECORD_BYTES) -> None:
        self.delimiter = delimiter
        self.max_record_bytes = max_record_bytes
        self.records_cut = 0  # records longer than the cap (a 10 MB field, say)
        self.unreadable = 0  # records the csv module refused, kept as one raw cell
        self._parts: list[bytes] = []
        self._size = 0  # bytes held in _parts
        self._cut = False
        self._quotes = 0  # quote characters seen in the current record
        self._started = False  # past the byte order mark check

    def feed(self, data: bytes) -> list[list[str]]:
        """Rows completed by ``data`` (a row is a list of cells, as ``csv.reader`` gives)."""
        rows: list[list[str]] = []
        for start in range(0, len(data), SLICE_BYTES):
            rows.extend(self._parse(self._split(data[start : start + SLICE_BYTES])))
        return rows

    def finish(self) -> list[list[str]]:
        """The last record, when the body did not end with a line break."""
        return self._parse(self._rest())

    def feed_records(self, data: bytes) -> list[tuple[bytes, bool]]:
        """Like ``feed`` without parsing: each completed record's bytes as sent (line break
        included, byte order mark removed) and whether it was cut."""
        out: list[tuple[bytes, bool]] = []
        for start in range(0, len(data), SLICE_BYTES):
            out.extend((r.data, r.cut) for r in self._split(data[start : start + SLICE_BYTES]))
        return out

    def finish_records(self) -> list[tuple[bytes, bool]]:
        return [(r.data, r.cut) for r in self._rest()]

    def _rest(self) -> list[_Record]:
        if not self._parts and not self._cut:
            return []
        return [self._take()]

    def _split(self, data: bytes) -> list[_Record]:
        if not self._started:
            held = b"".join(self._parts) + data
            if len(held) < len(_BOM) and _BOM.startswith(held):
                self._parts, self._size = [held], len(held)
                return []
            self._started = True
            self._parts, self._size = [], 0
            data = held[len(_BOM) :] if held.startswith(_BOM) else held
        records: list[_Record] = []
        pos, end = 0, len(data)
        while pos < end:
            newline = data.find(b"\n", pos)
            stop = end if newline < 0 else newline + 1
            self._quotes += data.count(b'"', pos, stop)
            self._hold(data, pos, stop)
            pos = stop
            if newline >= 0 and not self._quotes % 2:
                records.append(self._take())
        return records

    def _hold(self, data: bytes, start: int, stop: int) -> None:
        room = self.max_record_bytes - self._size
        if stop - start > room:
            stop = start + max(room, 0)
            self._cut = True
        if stop > start:
            self._parts.append(data[start:stop])
            self._size += stop - start

    def _take(self) -> _Record:
        record = _Record(b"".join(self._parts), self._cut)
        if record.cut:
            self.records_cut += 1
        self._parts, self._size, self._cut, self._quotes = [], 0, False, 0
        return record

    def _parse(self, records: list[_Record]) -> list[list[str]]:
        whole = [r.data.decode("utf-8", "replace") for r in records if not r.cut]
        rows: list[list[str]] = []
        if len(whole) == len(records):
            try:
                return [row for row in csv.reader(whole, delimiter=self.delimiter) if row]
            except csv.Error:
                pass  # one bad record: read them one by one below
        for record in records:
            rows.extend(self._parse_one(record))
        return rows

    def _parse_one(self, record: _Record) -> list[list[str]]:
        data = record.data
        if record.cut:
            data = data.rstrip(b"\r\n")
            if data.count(b'"') % 2:
                data += b'"'  # close the quoted field the cut fell in
        text = data.decode("utf-8", "replace")
        try:
            rows = [row for row in csv.reader([text], delimiter=self.delimiter) if row]
        except csv.Error:
            self.unreadable += 1
            return [[text[:MAX_CELL_CHARS]]]
        if record.cut and rows:
            rows[-1][-1] += CUT_MARK
        return rows


async def iter_csv_rows(
    chunks: AsyncIterator[bytes],
    *,
    delimiter: str = ",",
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> AsyncIterator[list[list[str]]]:
    """Rows of a CSV byte stream, a list of rows at a time (a row per call would cost more
    than the parsing), header row included."""
    reader = CsvRecordReader(delimiter=delimiter, max_record_bytes=max_record_bytes)
    async for rows in _rows(reader, chunks):
        yield rows


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True, slots=True)
class ErrorGroup:
    """Failed records that share an error code: how many, the first message, a few rows."""

    code: str
    first_message: str
    count: int
    samples: tuple[tuple[str, ...], ...]
    header: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FailedRecordGroups:
    """Failed records grouped by error code, most frequent first.

    ``rows_seen``: data rows read; ``failed``: those that carried an error; ``truncated``:
    some error codes were not kept as groups (more than the cap); ``note`` says, in plain
    words, what the caps left out or cut, or is None when nothing was."""

    groups: tuple[ErrorGroup, ...]
    rows_seen: int
    failed: int
    truncated: bool
    note: str | None


def split_error(text: str) -> tuple[str, str]:
    """``CODE:message:fields --`` → (CODE, message with its fields); the message itself may
    hold colons. Text with no code gives ``("", text)``."""
    text = text.strip()
    if text.endswith("--"):
        text = text[:-2].rstrip()
    code, colon, rest = text.partition(":")
    code = code.strip()
    if not colon or not code or " " in code:
        return "", text
    return code, rest.strip().rstrip(":").strip()


@dataclass
class _Grouper:
    max_groups: int
    max_samples: int
    header: tuple[str, ...] = ()
    rows_seen: int = 0
    failed: int = 0
    left_out_rows: int = 0
    left_out_codes: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    def add(self, error_text: str, row: Iterable[str]) -> None:
        self.rows_seen += 1
        if not error_text.strip():
            return
        self.failed += 1
        code, message = split_error(error_text)
        code = cut(code, MAX_CODE_CHARS) if code else NO_CODE
        if code not in self.counts:
            if len(self.counts) >= self.max_groups:
                self.left_out_rows += 1
                if len(self.left_out_codes) < 10_000:  # a count of codes, bounded too
                    self.left_out_codes.add(code)
                return
            self.counts[code] = 0
            self.messages[code] = cut(message, MAX_CELL_CHARS)
            self.samples[code] = []
        self.counts[code] += 1
        kept = self.samples[code]
        if len(kept) < self.max_samples:
            kept.append(_sample(row))

    def result(self, cut_records: int = 0, unreadable: int = 0) -> FailedRecordGroups:
        order = sorted(self.counts, key=lambda c: (-self.counts[c], c))
        groups = tuple(
            ErrorGroup(c, self.messages[c], self.counts[c], tuple(self.samples[c]), self.header)
            for c in order
        )
        notes = []
        if self.left_out_rows:
            many = len(self.left_out_codes)
            more = f"{many:,}+" if many >= 10_000 else f"{many:,}"
            notes.append(
                f"{self.left_out_rows:,} failed records under {more} more error codes are "
                f"counted but not listed (the list keeps {self.max_groups} codes)"
            )
        if cut_records:
            notes.append(
                f"{cut_records:,} records longer than {MAX_RECORD_BYTES // 1024} KB were cut "
                "to their start"
            )
        if unreadable:
            notes.append(f"{unreadable:,} records were not readable CSV and are shown raw")
        return FailedRecordGroups(
            groups=groups,
            rows_seen=self.rows_seen,
            failed=self.failed,
            truncated=bool(self.left_out_rows),
            note="; ".join(notes) or None,
        )


def _sample(row: Iterable[str]) -> tuple[str, ...]:
    cells = []
    for i, cell in enumerate(row):
        if i >= MAX_SAMPLE_COLUMNS:
            cells.append(CUT_MARK)
            break
        cells.append(cut(cell, MAX_CELL_CHARS))
    return tuple(cells)


async def group_failed_v2(
    chunks: AsyncIterator[bytes],
    *,
    max_groups: int = DEFAULT_MAX_GROUPS,
    max_samples: int = DEFAULT_MAX_SAMPLES,
    delimiter: str = ",",
) -> FailedRecordGroups:
    """A 2.0 ``failedResults`` CSV (``sf__Id``, ``sf__Error``, then the input columns), read
    as it streams and grouped by the error code in ``sf__Error``."""
    grouper = _Grouper(max_groups, max_samples)
    reader = CsvRecordReader(delimiter=delimiter)
    column = -1
    async for rows in _rows(reader, chunks):
        for row in rows:
            if column < 0:
                grouper.header = _sample(row)
                if ERROR_COLUMN not in row:
                    raise ResponseFormatError(
                        f"the failed results have no {ERROR_COLUMN} column in their header"
                    )
                column = row.index(ERROR_COLUMN)
                continue
            grouper.add(row[column] if column < len(row) else "", row)
    return grouper.result(reader.records_cut, reader.unreadable)


async def _rows(
    reader: CsvRecordReader, chunks: AsyncIterator[bytes]
) -> AsyncIterator[list[list[str]]]:
    async for chunk in chunks:
        rows = reader.feed(chunk)
        if rows:
            yield rows
    rows = reader.finish()
    if rows:
        yield rows


V1_HEADER = ("Id", "Success", "Created", "Error")


def group_failed_v1(
    results: Iterable[RecordResult],
    *,
    max_groups: int = DEFAULT_MAX_GROUPS,
    max_samples: int = DEFAULT_MAX_SAMPLES,
) -> FailedRecordGroups:
    """A 1.0 batch's results (in request-row order) grouped by each failure's first status
    code; samples are the result rows (``Id``, ``Success``, ``Created``, ``Error``)."""
    grouper = _Grouper(max_groups, max_samples, header=V1_HEADER)
    for result in results:
        error = "" if result.success else (result.error or NO_CODE)
        grouper.add(error, _v1_row(result))
    return grouper.result()


def _v1_row(result: RecordResult) -> Iterator[str]:
    yield result.id or ""
    yield "true" if result.success else "false"
    yield "true" if result.created else "false"
    yield result.error or ""
