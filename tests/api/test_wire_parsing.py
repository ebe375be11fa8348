"""Parser edge cases beyond the captured responses (tests/test_wire_captured.py)."""

from __future__ import annotations

import json

import pytest

from bulktui.api import wire
from bulktui.api.enums import JobState, Operation
from bulktui.api.errors import InvalidSessionError, ResponseFormatError
from bulktui.api.models import JOB_FIELDS

JOB_XML = """<?xml version="1.0" encoding="UTF-8"?><jobInfo
   xmlns="http://www.force.com/2009/06/asyncapi/dataload">
 <id>7508Z00000QxJb2QAF</id>
 <operation>upsert</operation>
 <object>Contact</object>
 <state>Closed</state>
 <futureElement>42</futureElement>
 <numberBatchesTotal>3</numberBatchesTotal>
</jobInfo>"""


@pytest.mark.parametrize(
    "body",
    [
        '<?xml version="1.0"?><!DOCTYPE z [<!ENTITY l "lol">]><jobInfo><id>&l;</id></jobInfo>',
        '<?xml version="1.0"?><!DOCTYPE jobInfo SYSTEM "file:///etc/passwd"><jobInfo/>',
    ],
    ids=["entity", "external-dtd"],
)
def test_xml_with_a_dtd_or_entity_is_refused(body: str) -> None:
    with pytest.raises(ResponseFormatError, match="DTD or entity"):
        wire.parse_job_info(body, "xml")


@pytest.mark.parametrize("cut", [20, 60, 120, len(JOB_XML) - 3])
def test_truncated_xml_is_a_format_error(cut: int) -> None:
    with pytest.raises(ResponseFormatError):
        wire.parse_job_info(JOB_XML[:cut], "xml")


def test_truncated_json_is_a_format_error() -> None:
    body = '{"id":"7508Z00000QxJb2QAF","state":"Open","numberBatches'
    with pytest.raises(ResponseFormatError, match="malformed JSON"):
        wire.parse_job_info(body, "json")


def test_unknown_elements_are_kept_in_extra() -> None:
    job = wire.parse_job_info(JOB_XML, "xml")
    assert job.extra == {"futureElement": "42"}
    assert job.state is JobState.CLOSED and job.number_batches_total == 3
    assert job.to_wire()["futureElement"] == "42"
    data = json.loads(wire.job_info_json(job))
    parsed = wire.parse_job_info(json.dumps({**data, "brandNew": [1, 2]}), "json")
    assert parsed.extra == {"brandNew": [1, 2]}


def test_unknown_enum_values_are_tolerated() -> None:
    job = wire.parse_job_info(JOB_XML.replace("upsert", "composite"), "xml")
    assert job.operation is not None and job.operation.value == "composite"
    assert not job.operation.known and Operation.strict("composite") is None


def test_a_bad_counter_names_the_field() -> None:
    with pytest.raises(ResponseFormatError, match="numberBatchesTotal"):
        wire.parse_job_info(JOB_XML.replace(">3<", ">three<"), "xml")


def test_job_without_an_id_is_refused() -> None:
    with pytest.raises(ResponseFormatError, match="without an id"):
        wire.parse_job_info('{"state":"Open"}', "json")


def test_create_request_is_written_in_xsd_order_whatever_the_input_order() -> None:
    fields = {
        "contentType": "CSV",
        "concurrencyMode": "Serial",
        "externalIdFieldName": "Key__c",
        "object": "Contact",
        "operation": "upsert",
        "assignmentRuleId": "01Q8Z000000AbCdUAK",
    }
    body = wire.job_request_xml(fields)
    xsd = [f.wire for f in JOB_FIELDS]
    positions = [body.index(f"<{name}>") for name in fields]
    written = [name for _, name in sorted(zip(positions, fields, strict=True))]
    assert written == sorted(fields, key=xsd.index)
    assert written[:2] == ["operation", "object"]
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<jobInfo xmlns=')


def test_request_values_are_escaped() -> None:
    body = wire.job_request_xml({"operation": "insert", "object": "A<&>B"})
    assert "<object>A&lt;&amp;&gt;B</object>" in body


def test_job_list_page() -> None:
    body = json.dumps(
        {
            "done": False,
            "records": [{"id": "7508Z00000QxJb2QAF", "state": "JobComplete", "apiVersion": 64.0}],
            "nextRecordsUrl": "/services/data/v64.0/jobs/query?queryLocator=01g-1000",
        }
    )
    page = wire.parse_job_list_page(body)
    assert not page.done and page.next_records_url.endswith("01g-1000")  # type: ignore[union-attr]
    assert page.records[0].state is JobState.JOB_COMPLETE
    assert page.records[0].api_version == "64.0" and not page.records[0].has_counts


@pytest.mark.parametrize(
    ("status", "body", "ctype", "code", "message"),
    [
        (
            400,
            wire.error_xml("InvalidJob", "Bad\n job"),
            "application/xml",
            "InvalidJob",
            "Bad job",
        ),
        (
            400,
            wire.error_json("InvalidSessionId", "Invalid session id"),
            "application/json",
            "InvalidSessionId",
            "Invalid session id",
        ),
        (
            401,
            '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]',
            "application/json",
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        ),
        (500, "<html><body>oops</body></html>", "text/html", "", "HTML page"),
        (502, "", None, "", "HTTP 502 with no error details"),
    ],
)
def test_error_bodies(status: int, body: str, ctype: str | None, code: str, message: str) -> None:
    error = wire.parse_error(status, body, ctype)
    assert error.status == status and error.code == code and message in error.server_message
    assert isinstance(error, InvalidSessionError) == ("SESSION" in code.upper())


def test_plain_text_error_bodies_keep_their_text() -> None:
    error = wire.parse_error(503, "Service  Unavailable\n", "text/plain; charset=utf-8")
    assert error.server_message == "HTTP 503: Service Unavailable" and error.code == ""


def test_text_xml_cannot_hold_is_replaced_so_the_document_stays_well_formed() -> None:
    from bulktui.api.enums import BatchState
    from bulktui.api.models import BatchInfo

    batch = BatchInfo(
        id="7518Z00000T3mWqQAJ", state=BatchState.FAILED, state_message="bad\x1b[31m\x9b <x>"
    )
    parsed = wire.parse_batch_info(wire.batch_info_xml(batch), "xml")
    assert parsed.state_message == "bad\ufffd[31m\x9b <x>"
