"""Reading streamed CSV results and grouping failed records, with memory bounded whatever the
input: quotes, line breaks in fields, a BOM, terminal escapes, 10 MB fields."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import AsyncIterator, Iterable

import pytest

from bulktui.api.errors import ResponseFormatError
from bulktui.api.models import RecordError, RecordResult
from bulktui.api.results import (
    MAX_CELL_CHARS,
    CsvRecordReader,
    delimiter_of,
    group_failed_v1,
    group_failed_v2,
    iter_csv_rows,
    split_error,
)

HEADER = b'"sf__Id","sf__Error","Name","Notes"\n'
NASTY = (
    b"\xef\xbb\xbf"
    + HEADER
    + b'"","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",'
    b'"","say ""hi"", then\r\nnew line"\r\n'
    b'"","DUPLICATE_VALUE:duplicate value found: Legacy_Key__c:-- ","Acme \x1b]0;pwned\x07",'
    b'"\x1b[2J"\n'
    b'"","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --","",""\n'
)


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def gen(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def all_rows(chunks: AsyncIterator[bytes]) -> list[list[str]]:
    return [row async for rows in iter_csv_rows(chunks) for row in rows]


def expected(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text, newline="")) if row]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 4096])
async def test_rows_are_the_same_however_the_stream_is_cut(size: int) -> None:
    rows = await all_rows(pieces(NASTY, size))
    assert rows == expected(NASTY)
    assert rows[0] == ["sf__Id", "sf__Error", "Name", "Notes"]  # the BOM is gone
    assert rows[1][3] == 'say "hi", then\r\nnew line'
    assert rows[2][2] == "Acme \x1b]0;pwned\x07"  # kept as sent: whoever shows it escapes it


async def test_a_last_record_without_a_line_break_is_read() -> None:
    assert await all_rows(gen([b"a,b\n1,", b"2"])) == [["a", "b"], ["1", "2"]]


async def test_other_delimiters() -> None:
    rows = [
        row async for batch in iter_csv_rows(gen([b"a|b\n1|2\n"]), delimiter="|") for row in batch
    ]
    assert rows == [["a", "b"], ["1", "2"]]


async def test_a_10_mb_field_is_cut_and_the_next_record_is_whole() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield HEADER + b'"001","X_CODE:big one --","'
        for _ in range(10):
            yield b'\xe2\x82\xac\n""' * 100_000  # euro signs, line breaks, quotes: 1 MB each
        yield b'","tail"\n"002","Y_CODE:small --","Ada","ok"\n'

    reader = CsvRecordReader()
    rows: list[list[str]] = []
    async for chunk in body():
        rows.extend(reader.feed(chunk))
    rows.extend(reader.finish())
    assert [r[0] for r in rows] == ["sf__Id", "001", "002"]
    assert rows[1][1] == "X_CODE:big one --" and rows[1][-1].endswith("…")
    assert len(rows[1][-1]) < 130_000
    assert rows[2] == ["002", "Y_CODE:small --", "Ada", "ok"]
    assert reader.records_cut == 1


async def test_memory_stays_bounded_on_a_huge_hostile_stream() -> None:
    """30 MB of input: a 10 MB field, an unterminated quote and 100,000 rows under 100,000
    different error codes. What is held stays a few MB."""

    async def body() -> AsyncIterator[bytes]:
        yield HEADER + b'"001","BIG:x --","'
        for _ in range(10):
            yield b"y" * 1_000_000
        yield b'","z"\n'
        batch = []
        for i in range(100_000):
            batch.append(b'"","CODE_%d:message %d --","Name %d","%s"\n' % (i, i, i, b"n" * 150))
            if len(batch) == 1000:
                yield b"".join(batch)
                batch = []
        yield b'"","OPEN:quote never closed --","'
        for _ in range(5):
            yield b"w" * 1_000_000

    tracemalloc.start()
    try:
        groups = await group_failed_v2(body(), max_groups=20, max_samples=3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes"
    assert groups.rows_seen == 100_002 and groups.failed == 100_002
    assert len(groups.groups) == 20 and groups.truncated
    assert groups.note is not None
    assert "counted but not listed (the list keeps 20 codes)" in groups.note
    assert "were cut to their start" in groups.note


async def test_failed_records_are_grouped_by_code_most_frequent_first() -> None:
    groups = await group_failed_v2(pieces(NASTY, 10), max_samples=1)
    assert (groups.rows_seen, groups.failed, groups.truncated, groups.note) == (3, 3, False, None)
    first, second = groups.groups
    assert (first.code, first.count) == ("REQUIRED_FIELD_MISSING", 2)
    assert first.first_message == "Required fields are missing: [Name]:Name"
    assert len(first.samples) == 1 and first.samples[0][3] == 'say "hi", then\r\nnew line'
    assert first.header == ("sf__Id", "sf__Error", "Name", "Notes")
    assert (second.code, second.count) == ("DUPLICATE_VALUE", 1)


async def test_sample_cells_and_messages_are_cut() -> None:
    long = "m" * 10_000
    data = HEADER + f'"","CODE:{long} --","{long}",""\n'.encode()
    groups = await group_failed_v2(gen([data]))
    (group,) = groups.groups
    assert len(group.first_message) == MAX_CELL_CHARS and group.first_message.endswith("…")
    assert len(group.samples[0][2]) == MAX_CELL_CHARS


async def test_results_without_an_error_column_are_refused_in_one_line() -> None:
    with pytest.raises(ResponseFormatError, match="no sf__Error column"):
        await group_failed_v2(gen([b'"sf__Id","Name"\n"1","A"\n']))


async def test_an_empty_body_groups_nothing() -> None:
    groups = await group_failed_v2(gen([]))
    assert (groups.groups, groups.rows_seen, groups.failed) == ((), 0, 0)


def test_error_texts() -> None:
    assert split_error("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --") == (
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Name]:Name",
    )
    assert split_error("INVALID_FIELD:bad value:: --") == ("INVALID_FIELD", "bad value")
    assert split_error("something went wrong") == ("", "something went wrong")
    assert split_error("a message: with a colon") == ("", "a message: with a colon")


def test_v1_results_group_by_first_status_code() -> None:
    missing = RecordError(
        "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", ("Name",)
    )
    dup = RecordError("DUPLICATE_VALUE", "duplicate value found")
    results = [
        RecordResult("001A", True, True),
        RecordResult(None, False, False, (missing,)),
        RecordResult(None, False, False, (dup, missing)),
        RecordResult(None, False, False, (missing,)),
        RecordResult(None, False, False, ()),
    ]
    groups = group_failed_v1(results, max_groups=2)
    assert (groups.rows_seen, groups.failed) == (5, 4)
    assert [(g.code, g.count) for g in groups.groups] == [
        ("REQUIRED_FIELD_MISSING", 2),
        ("DUPLICATE_VALUE", 1),
    ]
    assert groups.truncated and groups.note is not None and "1 failed records" in groups.note
    assert groups.groups[0].header == ("Id", "Success", "Created", "Error")
    assert groups.groups[0].samples[0] == (
        "",
        "false",
        "false",
        "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
    )


def test_a_jobs_delimiter() -> None:
    from bulktui.api.models import JobInfo

    assert delimiter_of(JobInfo(id="x")) == ","
    assert delimiter_of(JobInfo(id="x", column_delimiter="PIPE")) == "|"
    assert delimiter_of(JobInfo(id="x", column_delimiter="TAB")) == "\t"
    assert delimiter_of(JobInfo(id="x", column_delimiter="SOMETHING_NEW")) == ","
