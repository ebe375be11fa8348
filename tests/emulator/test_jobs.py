"""Create-job validation (docs/wire-facts.md §1.4), the state machine (§1.5) and the wire layout."""

from __future__ import annotations

import json

import pytest

from bulktui.api import ids, wire
from bulktui.api.enums import BatchState, JobState

from .helpers import NS, Org, V


async def test_create_job_answers_201_with_full_jobinfo(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    assert ids.is_valid(job.id, "750") and len(job.id) == 18
    assert job.state is JobState.OPEN
    assert job.created_by_id == org.engine.default_user.id
    assert job.number_batches_total == 0 and job.api_version == V
    assert job.concurrency_mode is not None and job.concurrency_mode.value == "Parallel"


async def test_create_job_defaults_content_type_to_xml(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account")
    assert job.content_type is not None and job.content_type.value == "XML"


async def test_xml_layout_matches_real_server(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    r = await org.http.get(f"/services/async/{V}/job/{job.id}", headers=org.h)
    assert r.headers["content-type"] == "application/xml"
    assert r.text.startswith(
        f'<?xml version="1.0" encoding="UTF-8"?><jobInfo\n   xmlns="{NS}">\n <id>'
    )


async def _error(org: Org, body: dict[str, str]) -> tuple[int, str, str]:
    r = await org.http.post(
        f"/services/async/{V}/job", headers=org.h, content=wire.job_request_xml(body)
    )
    err = wire.parse_error(r.status_code, r.content, r.headers["content-type"])
    return r.status_code, err.code, err.server_message


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"operation": "INSERT", "object": "Account"}, "InvalidJob", "Unable to parse Job"),
        ({"operation": "harddelete", "object": "Account"}, "InvalidJob", "Unable to parse Job"),
        (
            {"operation": "insert", "object": "Account", "contentType": "csv"},
            "InvalidJob",
            "Unable to parse Job",
        ),
        (
            {"operation": "insert", "object": "Account", "concurrencyMode": "serial"},
            "InvalidJob",
            "Unable to parse Job",
        ),
        (
            {"operation": "insert", "object": "Foo__c"},
            "InvalidJob",
            "Unable to find object: Foo__c",
        ),
        (
            {"operation": "upsert", "object": "Contact"},
            "InvalidJob",
            "External ID was blank for Contact. An External ID must be specified for upsert.",
        ),
        (
            {"operation": "insert", "object": "Account", "createdById": "0055g000000CaR6AAK"},
            "InvalidJob",
            "CreatedById cannot be specified",
        ),
        (
            {"operation": "insert", "object": "Account", "numberRecordsProcessed": "3"},
            "InvalidJob",
            "NumberRecordsProcessed cannot be specified",
        ),
        (
            {"operation": "insert", "object": "Account", "externalIdFieldName": "External_Id__c"},
            "InvalidJob",
            "External ID field name may only be specified for upsert",
        ),
        (
            {"operation": "insert", "object": "EntityDefinition"},
            "InvalidEntity",
            "Entity 'EntityDefinition' is not supported by the Bulk API.",
        ),
    ],
)
async def test_create_job_validation(
    org: Org, body: dict[str, str], code: str, message: str
) -> None:
    assert await _error(org, body) == (400, code, message)


async def test_json_create_accepts_concurrency_ordinal_like_simple_salesforce(org: Org) -> None:
    r = await org.http.post(
        f"/services/async/{V}/job",
        headers={**org.h, "Content-Type": "application/json"},
        content=json.dumps(
            {
                "operation": "insert",
                "object": "Account",
                "concurrencyMode": 1,
                "contentType": "JSON",
            }
        ),
    )
    assert r.status_code == 201
    data = r.json()
    assert data["concurrencyMode"] == "Serial"
    assert list(data) == sorted(data)  # JSON keys are alphabetical
    assert data["createdDate"].endswith("+0000") and data["fastPathEnabled"] is False


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("Closed", "Closed", "Closing already closed Job not allowed"),
        ("Aborted", "Closed", "Closing already aborted Job not allowed"),
        ("Aborted", "Aborted", "Aborting already aborted Job not allowed"),
    ],
)
async def test_state_machine_messages(org: Org, first: str, second: str, message: str) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    assert (await org.set_state(job.id, first)).status_code == 200
    r = await org.set_state(job.id, second)
    err = wire.parse_error(r.status_code, r.content, r.headers["content-type"])
    assert (r.status_code, err.code, err.server_message) == (400, "InvalidJobState", message)


async def test_closed_job_can_be_aborted_and_queued_batches_become_not_processed(org: Org) -> None:
    job_id, batch_id = await org.csv_job_with_batch(
        "Name\nA\n", operation="insert", object="Account"
    )
    assert (await org.set_state(job_id, "Closed")).status_code == 200
    r = await org.set_state(job_id, "Aborted")
    assert r.status_code == 200
    assert wire.parse_job_info(r.content, "xml").state is JobState.ABORTED
    assert (await org.batch(job_id, batch_id)).state is BatchState.NOT_PROCESSED
    await org.tick(60)
    assert (await org.batch(job_id, batch_id)).state is BatchState.NOT_PROCESSED


async def test_abort_lets_in_progress_batches_finish(org: Org) -> None:
    job_id, batch_id = await org.csv_job_with_batch(
        "Name\nA\n", operation="insert", object="Account"
    )
    await org.tick(1.1)
    assert (await org.batch(job_id, batch_id)).state is BatchState.IN_PROGRESS
    assert (await org.set_state(job_id, "Aborted")).status_code == 200
    await org.tick(5)
    assert (await org.batch(job_id, batch_id)).state is BatchState.COMPLETED


async def test_update_body_may_only_hold_state(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account")
    r = await org.http.post(
        f"/services/async/{V}/job/{job.id}",
        headers=org.h,
        content=wire.job_request_xml({"state": "Closed", "createdById": job.created_by_id or ""}),
    )
    assert wire.parse_error(400, r.content, "application/xml").server_message == (
        "CreatedById cannot be specified"
    )


async def test_unknown_job_is_invalid_job_in_request_format(org: Org) -> None:
    missing = ids.make_id("750", "5g", 1)
    r = await org.http.get(
        f"/services/async/{V}/job/{missing}", headers={**org.h, "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json() == {
        "exceptionCode": "InvalidJob",
        "exceptionMessage": f"Invalid job id: {missing}",
    }


async def test_json_job_answers_errors_in_json(org: Org) -> None:
    r = await org.http.post(
        f"/services/async/{V}/job",
        headers={**org.h, "Content-Type": "application/json"},
        content=json.dumps({"operation": "insert", "object": "Account", "contentType": "JSON"}),
    )
    job_id = r.json()["id"]
    await org.set_state(job_id, "Closed")
    r = await org.set_state(job_id, "Closed")  # an XML request body, but a JSON job
    assert r.headers["content-type"] == "application/json"
    assert r.json()["exceptionCode"] == "InvalidJobState"


async def test_trailing_slash_and_405(org: Org) -> None:
    r = await org.http.post(
        f"/services/async/{V}/job/",
        headers=org.h,
        content=wire.job_request_xml({"operation": "insert", "object": "Account"}),
    )
    assert r.status_code == 201
    job_id = wire.parse_job_info(r.content, "xml").id
    assert (
        await org.http.get(f"/services/async/{V}/job/{job_id}/", headers=org.h)
    ).status_code == 200
    assert (
        await org.http.delete(f"/services/async/{V}/job/{job_id}", headers=org.h)
    ).status_code == 405
    assert (await org.http.put(f"/services/async/{V}/job", headers=org.h)).status_code == 405


@pytest.mark.parametrize("version", ["30.0", "21.0", "abc", "99.0"])
async def test_retired_or_unknown_versions(org: Org, version: str) -> None:
    r = await org.http.post(
        f"/services/async/{version}/job",
        headers=org.h,
        content=wire.job_request_xml({"operation": "insert", "object": "Account"}),
    )
    assert r.status_code == 400
    assert wire.parse_error(400, r.content, "application/xml").code == "InvalidVersion"


async def test_bad_session_is_400_invalid_session_id(org: Org) -> None:
    r = await org.http.get(f"/services/async/{V}/job/x", headers={"X-SFDC-Session": "nope"})
    err = wire.parse_error(r.status_code, r.content, r.headers["content-type"])
    assert (r.status_code, err.code, err.server_message) == (
        400,
        "InvalidSessionId",
        "Invalid session id",
    )
    r = await org.http.get(f"/services/async/{V}/job/x")
    assert (
        wire.parse_error(400, r.content, "application/xml").server_message
        == "Unable to find session id"
    )


async def test_unknown_paths_answer_in_the_api_s_own_words(org: Org) -> None:
    r = await org.http.get(f"/services/async/{V}/jobs", headers=org.h)
    err = wire.parse_error(r.status_code, r.content, r.headers["content-type"])
    assert (r.status_code, err.code) == (400, "InvalidOperation")
    r = await org.http.delete(f"/services/async/{V}/job/x/batch", headers=org.h)
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    r = await org.http.get(f"/services/data/v{V}/tooling/sobjects", headers=org.bearer)
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"
    assert "sforce-limit-info" in r.headers
    r = await org.http.put(f"/services/data/v{V}/jobs/ingest", headers=org.bearer)
    assert r.status_code == 405
