"""Issue 12 items 1, 2 and 7 (parse side): values that are well-formed but out of range are
refused at parse time, one bad list row is kept and marked, ids become 18 characters."""

from __future__ import annotations

import json

import pytest

from bulktui.api import wire
from bulktui.api.errors import ResponseFormatError
from bulktui.api.ids import make_id

A, B, C, D, E, F, G, H, I_, J, K = (make_id("750", "5g", n) for n in range(1, 12))
USER = make_id("005", "5g", 7)
DEEP = "[" * 100_000 + "]" * 100_000
GOOD_DATE = "2024-11-21T09:28:59.000+0000"


def _page(*rows: str) -> str:
    return '{"done":true,"nextRecordsUrl":null,"records":[' + ",".join(rows) + "]}"


def _row(ident: str, **fields: object) -> str:
    return json.dumps({"id": ident, "state": "Open", **fields})


def test_one_bad_value_marks_its_row_and_keeps_every_other_row() -> None:
    body = _page(
        _row(A),
        _row(B, numberRecordsProcessed=float("inf")),  # written as Infinity
        _row(C, numberRecordsFailed=float("nan")),
        '{{"id":"{}","numberRecordsProcessed":{}}}'.format(D, "9" * 4001),  # 10**4000 and up
        '{{"id":"{}","apiVersion":{}}}'.format(E, "1" * 400),
        _row(F, createdDate="9999-12-31T23:59:59.000+0000"),
        _row(G, createdDate="yesterday-ish"),
        f'{{"id":"{H}","futureField":{DEEP}}}',
        _row(I_, numberBatchesTotal=-3),
        _row(J, systemModstamp=GOOD_DATE, createdById=USER.lower()),
        _row(K, apiVersion="1" * 400),
    )
    page = wire.parse_job_list_page(body)
    by_id = {job.id: job for job in page.records}
    assert list(by_id) == [A, B, C, D, E, F, G, H, I_, J, K]
    marks = {ident: job.extra.get(wire.INVALID_MARK) for ident, job in by_id.items()}
    assert marks[A] is None and marks[J] is None
    for ident, field in [
        (B, "numberRecordsProcessed"),
        (C, "numberRecordsFailed"),
        (D, "numberRecordsProcessed"),
        (E, "apiVersion"),
        (F, "createdDate"),
        (G, "createdDate"),
        (H, "futureField"),
        (I_, "numberBatchesTotal"),
        (K, "apiVersion"),
    ]:
        assert field in str(marks[ident]), (ident, marks[ident])
    # The bad value is not kept; the rest of the row is.
    assert by_id[B].number_records_processed is None and by_id[B].state is not None
    assert by_id[F].created_date is None and by_id[E].api_version is None
    assert by_id[H].extra["futureField"] == wire.TOO_DEEP
    assert by_id[J].created_by_id == USER  # the lower-cased 18-char id got its case back


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("numberBatchesTotal", "Infinity"),
        ("numberBatchesTotal", "NaN"),
        ("numberBatchesTotal", "-1"),
        ("numberBatchesTotal", "1.5"),
        ("numberRecordsProcessed", "9" * 5000),
        ("numberRecordsProcessed", '"\u00b2"'),
        ("apiVersion", "1" * 400),
        ("createdDate", '"9999-12-31T23:59:59.000+0000"'),
        ("createdDate", '"0001-01-01T00:00:00.000+0000"'),
        ("createdDate", '"2024-13-45T00:00:00.000+0000"'),
    ],
    ids=lambda value: str(value)[:24],
)
def test_a_single_job_with_an_out_of_range_value_is_refused_naming_the_field(
    field: str, raw: str
) -> None:
    body = f'{{"id":"{A}","{field}":{raw}}}'
    with pytest.raises(ResponseFormatError, match=f"bad value for {field}"):
        wire.parse_job_info(body, "json")


def test_counters_in_range_and_the_documented_limits_are_accepted() -> None:
    body = json.dumps(
        {
            "id": A,
            "numberRecordsProcessed": wire.MAX_COUNTER,
            "numberRetries": 0,
            "createdDate": "2199-12-31T00:00:00.000+0000",
            "apiVersion": 64.0,
        }
    )
    job = wire.parse_job_info(body, "json")
    assert job.number_records_processed == wire.MAX_COUNTER and job.api_version == "64.0"
    too_big = body.replace(str(wire.MAX_COUNTER), str(wire.MAX_COUNTER + 1))
    with pytest.raises(ResponseFormatError, match="numberRecordsProcessed"):
        wire.parse_job_info(too_big, "json")


def test_a_whole_document_100000_deep_is_a_format_error_not_a_crash() -> None:
    with pytest.raises(ResponseFormatError):
        wire.parse_job_list_page(DEEP)
    error = wire.parse_error(400, f'{{"message":{DEEP}}}', "application/json")
    assert error.status == 400


def test_deep_xml_in_an_unknown_element_is_cut_and_marked() -> None:
    deep = "<a>" * 50_000 + "x" + "</a>" * 50_000
    body = f"<jobInfo><id>{A}</id><futureElement>{deep}</futureElement></jobInfo>"
    job = wire.parse_job_info(body, "xml")
    assert job.extra["futureElement"] == wire.TOO_DEEP
    assert "futureElement" in job.extra[wire.INVALID_MARK]
    str(job)  # printable: nothing 50,000 deep is left in it


def test_ids_are_18_characters_at_parse_time() -> None:
    id15 = A[:15]
    batch = wire.parse_batch_info(
        json.dumps({"id": make_id("751", "5g", 1)[:15], "jobId": id15}), "json"
    )
    assert batch.job_id == A and batch.id == make_id("751", "5g", 1)
    job = wire.parse_job_info(json.dumps({"id": id15, "createdById": USER[:15]}), "json")
    assert job.id == A and job.created_by_id == USER
    assert wire.INVALID_MARK not in job.extra


def test_a_row_whose_id_is_not_an_id_is_kept_as_sent_and_marked() -> None:
    page = wire.parse_job_list_page(_page(_row("not-an-id"), _row(A)))
    assert [job.id for job in page.records] == ["not-an-id", A]
    assert "not a Salesforce id" in page.records[0].extra[wire.INVALID_MARK]


def test_a_row_without_an_id_is_left_out_and_the_others_kept() -> None:
    page = wire.parse_job_list_page(_page('{"state":"Open"}', _row(A), '{"id":[[1]]}'))
    assert [job.id for job in page.records] == [A]


def test_one_bad_batch_row_is_marked() -> None:
    body = json.dumps(
        {
            "batchInfo": [
                {"id": make_id("751", "5g", 1), "numberRecordsProcessed": float("inf")},
                {"id": make_id("751", "5g", 2), "numberRecordsProcessed": 4},
            ]
        }
    )
    first, second = wire.parse_batch_info_list(body, "json")
    assert "numberRecordsProcessed" in first.extra[wire.INVALID_MARK]
    assert second.number_records_processed == 4 and not second.extra


@pytest.mark.parametrize("ctype", ["application/json", "application/xml"])
def test_an_error_message_of_any_length_becomes_one_bounded_line(ctype: str) -> None:
    """A server that echoes a 5,000-character object name twice, or simply talks for a
    megabyte: the words reach a status line, a one-line CLI error and the action log."""
    long = "Unable to find object: " + "A" * 200_000 + "\n\nmore"
    code = "E" * 5_000
    if ctype == "application/json":
        body = json.dumps([{"errorCode": code, "message": long}])
    else:
        body = (
            f"<error><exceptionCode>{code}</exceptionCode>"
            f"<exceptionMessage>{long}</exceptionMessage></error>"
        )
    error = wire.parse_error(400, body, ctype)
    words = error.server_message
    assert len(words) == wire.MAX_ERROR_MESSAGE and words.endswith("…") and "\n" not in words
    assert words.startswith("Unable to find object: AAA")
    assert len(error.code) == wire.MAX_ERROR_CODE
    assert len(str(error)) < wire.MAX_ERROR_MESSAGE + wire.MAX_ERROR_CODE + 5
