"""Batch processing: progressive counters, per-record failures, results in row order."""

from __future__ import annotations

import json

import httpx
import pytest

from bulktui.api import ids, wire
from bulktui.api.enums import BatchState, JobState
from bulktui.emulator.objects import find_object

from .helpers import Org, V


async def _results(org: Org, job_id: str, batch_id: str) -> httpx.Response:
    return await org.http.get(
        f"/services/async/{V}/job/{job_id}/batch/{batch_id}/result", headers=org.h
    )


async def test_batch_goes_queued_in_progress_completed_with_counters_growing(org: Org) -> None:
    rows = "Name\n" + "".join(f"Acct {i}\n" for i in range(3000))
    job_id, batch_id = await org.csv_job_with_batch(rows, operation="insert", object="Account")
    assert (await org.batch(job_id, batch_id)).state is BatchState.QUEUED
    await org.tick(1.0)  # queue_seconds
    await org.tick(0.5)  # 2,000 records/s: 1,000 records so far
    batch = await org.batch(job_id, batch_id)
    assert batch.state is BatchState.IN_PROGRESS
    assert batch.number_records_processed == 1000
    job = await org.get_job(job_id)
    assert (job.number_batches_in_progress, job.number_records_processed) == (1, 1000)
    assert job.state is JobState.OPEN  # batches of an Open job are processed too
    await org.tick(1.0)
    batch = await org.batch(job_id, batch_id)
    assert batch.state is BatchState.COMPLETED and batch.number_records_processed == 3000
    assert batch.total_processing_time == 1500
    job = await org.get_job(job_id)
    assert (job.number_batches_completed, job.number_batches_total) == (1, 1)
    assert job.state is JobState.OPEN  # 1.0 has no "complete" job state


async def test_results_before_completion_are_refused(org: Org) -> None:
    job_id, batch_id = await org.csv_job_with_batch(
        "Name\nA\n", operation="insert", object="Account"
    )
    r = await _results(org, job_id, batch_id)
    assert wire.parse_error(r.status_code, r.content, "application/xml").server_message == (
        "Batch not completed"
    )


async def test_insert_failures_in_row_order_csv(org: Org) -> None:
    csv = (
        "FirstName,LastName,Email\nAda,Lovelace,ada@example.com\nNo,,x@example.com\nBad,Mail,nope\n"
    )
    job_id, batch_id = await org.csv_job_with_batch(csv, operation="insert", object="Contact")
    await org.tick(5)
    r = await _results(org, job_id, batch_id)
    assert r.headers["content-type"] == "text/csv"
    lines = r.text.splitlines()
    assert lines[0] == '"Id","Success","Created","Error"'
    assert lines[1].startswith('"003') and lines[1].endswith('","true","true",""')
    assert lines[2] == (
        '"","false","false",'
        '"REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"'
    )
    assert lines[3] == (
        '"","false","false","INVALID_EMAIL_ADDRESS:Email: invalid email address: nope:Email --"'
    )
    batch = await org.batch(job_id, batch_id)
    assert (batch.number_records_processed, batch.number_records_failed) == (3, 2)


async def test_lead_needs_last_name_and_company(org: Org) -> None:
    job_id, batch_id = await org.csv_job_with_batch(
        "FirstName,LastName,Company\nA,,\n", operation="insert", object="Lead"
    )
    await org.tick(5)
    (result,) = wire.parse_record_results((await _results(org, job_id, batch_id)).content, "csv")
    assert result.errors[0].status_code == "REQUIRED_FIELD_MISSING"
    assert set(result.errors[0].fields) == {"LastName", "Company"}


async def _loaded_accounts(org: Org, names: list[str]) -> list[str]:
    job_id, batch_id = await org.csv_job_with_batch(
        "Name\n" + "\n".join(names) + "\n", operation="insert", object="Account"
    )
    await org.tick(5)
    results = wire.parse_record_results((await _results(org, job_id, batch_id)).content, "csv")
    return [r.id for r in results if r.id]


async def test_update_and_delete_id_errors(org: Org) -> None:
    first, second = await _loaded_accounts(org, ["One", "Two"])
    job_id, batch_id = await org.csv_job_with_batch(
        f"Id\n{second}\n", operation="delete", object="Account"
    )
    await org.tick(5)
    missing = ids.to18(second[:5] + "000000000Q")
    csv = (
        f"Id,Name\n{first},Renamed\n001xyz,Bad\n{second},Gone\n{missing},Nobody\n"
        f"{ids.make_id('003', '5g', 1)},Wrong object\n,No id\n"
    )
    job_id, batch_id = await org.csv_job_with_batch(csv, operation="update", object="Account")
    await org.tick(5)
    results = wire.parse_record_results((await _results(org, job_id, batch_id)).content, "csv")
    assert results[0].success and results[0].id == first and not results[0].created
    codes = [r.status_code for r in results[1:]]
    assert codes == [
        "MALFORMED_ID",
        "ENTITY_IS_DELETED",
        "INVALID_CROSS_REFERENCE_KEY",
        "MALFORMED_ID",
        "MISSING_ARGUMENT",
    ]
    accounts = find_object("Account")
    assert accounts is not None
    assert org.engine.store.get(accounts, first) is not None
    assert org.engine.store.get(accounts, first)["Name"] == "Renamed"  # type: ignore[index]


async def test_upsert_inserts_then_updates_by_external_id(org: Org) -> None:
    csv = "LastName,External_Id__c\nOkafor,K-1\nSilva,K-2\nDup,K-2\n"
    job_id, batch_id = await org.csv_job_with_batch(
        csv, operation="upsert", object="Contact", externalIdFieldName="External_Id__c"
    )
    await org.tick(5)
    first = wire.parse_record_results((await _results(org, job_id, batch_id)).content, "csv")
    assert [(r.success, r.created) for r in first] == [(True, True), (True, True), (False, False)]
    assert first[2].status_code == "DUPLICATE_EXTERNAL_ID"
    job_id, batch_id = await org.csv_job_with_batch(
        "LastName,External_Id__c\nOkafor-Smith,K-1\nNew,K-3\nNoKey,\n",
        operation="upsert",
        object="Contact",
        externalIdFieldName="External_Id__c",
    )
    await org.tick(5)
    second = wire.parse_record_results((await _results(org, job_id, batch_id)).content, "csv")
    assert [(r.success, r.created) for r in second] == [(True, False), (True, True), (False, False)]
    assert second[0].id == first[0].id
    assert second[2].status_code == "MISSING_ARGUMENT"


async def test_unknown_column_fails_the_batch(org: Org) -> None:
    job_id, batch_id = await org.csv_job_with_batch(
        "Name,Bogus__c\nA,b\n", operation="insert", object="Account"
    )
    await org.tick(5)
    batch = await org.batch(job_id, batch_id)
    assert batch.state is BatchState.FAILED
    assert batch.state_message == "InvalidBatch : Field name not found : Bogus__c"
    job = await org.get_job(job_id)
    assert job.number_batches_failed == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Name\n", "InvalidBatch : Records not found"),
        (
            'Name\n"unterminated\n',
            "InvalidBatch : Failed to parse CSV. Found unescaped quote. "
            "A value with quote should be within a quote",
        ),
    ],
)
async def test_malformed_payloads_fail_the_batch(org: Org, body: str, message: str) -> None:
    job_id, batch_id = await org.csv_job_with_batch(body, operation="insert", object="Account")
    await org.tick(5)
    batch = await org.batch(job_id, batch_id)
    assert (batch.state, batch.state_message) == (BatchState.FAILED, message)


async def test_delete_batch_must_hold_only_ids(org: Org) -> None:
    job_id, batch_id = await org.csv_job_with_batch(
        "Id,Name\nx,y\n", operation="delete", object="Account"
    )
    await org.tick(5)
    assert (await org.batch(job_id, batch_id)).state_message == (
        "InvalidBatch : The 'delete' batch must contain only ids"
    )


async def test_results_in_xml_and_json(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="XML")
    body = (
        f'<sObjects xmlns="{wire.NAMESPACE}"><sObject><Name>X1</Name></sObject>'
        "<sObject><Industry>none</Industry></sObject></sObjects>"
    )
    r = await org.add_batch(job.id, body, "application/xml")
    batch_id = wire.parse_batch_info(r.content, "xml").id
    await org.tick(5)
    r = await _results(org, job.id, batch_id)
    assert r.headers["content-type"] == "application/xml"
    results = wire.parse_record_results(r.content, "xml")
    assert [x.success for x in results] == [True, False]
    assert results[1].errors[0].fields == ("Name",)

    r = await org.http.post(
        f"/services/async/{V}/job",
        headers={**org.h, "Content-Type": "application/json"},
        content=json.dumps({"operation": "insert", "object": "Account", "contentType": "JSON"}),
    )
    job_id = r.json()["id"]
    r = await org.add_batch(
        job_id, json.dumps([{"Name": "J1"}, {"Name": None}]), "application/json"
    )
    batch_id = r.json()["id"]
    await org.tick(5)
    r = await _results(org, job_id, batch_id)
    data = r.json()
    assert data[0]["success"] is True and data[0]["id"].startswith("001")
    assert data[1] == {
        "success": False,
        "created": False,
        "id": None,
        "errors": [
            {
                "fields": ["Name"],
                "message": "Required fields are missing: [Name]",
                "statusCode": "REQUIRED_FIELD_MISSING",
            }
        ],
    }


async def test_batch_request_returns_the_payload(org: Org) -> None:
    payload = "Name\nÄpfel GmbH\n"
    job_id, batch_id = await org.csv_job_with_batch(payload, operation="insert", object="Account")
    r = await org.http.get(
        f"/services/async/{V}/job/{job_id}/batch/{batch_id}/request", headers=org.h
    )
    assert r.content == payload.encode()


async def test_serial_job_runs_one_batch_at_a_time(org: Org) -> None:
    job = await org.create_job(
        operation="insert", object="Account", contentType="CSV", concurrencyMode="Serial"
    )
    for _ in range(3):
        assert (await org.add_batch(job.id, "Name\nA\n")).status_code == 201
    await org.tick(1.1)
    info = await org.get_job(job.id)
    assert (info.number_batches_in_progress, info.number_batches_queued) == (1, 2)
    await org.tick(30)
    info = await org.get_job(job.id)
    assert info.number_batches_completed == 3


async def test_batch_list_in_creation_order(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    made = [
        wire.parse_batch_info((await org.add_batch(job.id, "Name\nA\n")).content, "xml").id
        for _ in range(3)
    ]
    r = await org.http.get(f"/services/async/{V}/job/{job.id}/batch", headers=org.h)
    assert [b.id for b in wire.parse_batch_info_list(r.content, "xml")] == made
