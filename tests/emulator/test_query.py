"""Query jobs: SOQL over the record store, result ids (752…), result sets in the job's format."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bulktui.api import ids, wire
from bulktui.api.enums import BatchState

from .helpers import Org, V


async def _load(org: Org, csv_text: str, obj: str = "Account") -> None:
    await org.csv_job_with_batch(csv_text, operation="insert", object=obj)
    await org.tick(5)


async def _query(
    org: Org, soql: str, content_type: str = "CSV", op: str = "query"
) -> tuple[str, str]:
    job = await org.create_job(operation=op, object="Account", contentType=content_type)
    media = {"CSV": "text/csv", "XML": "application/xml", "JSON": "application/json"}[content_type]
    r = await org.add_batch(job.id, soql, media)
    assert r.status_code == 201, r.text
    fmt: wire.Format = "json" if content_type == "JSON" else "xml"
    return job.id, wire.parse_batch_info(r.content, fmt).id


async def _rows(
    org: Org, job_id: str, batch_id: str, fmt: wire.Format = "xml"
) -> tuple[str, bytes]:
    base = f"/services/async/{V}/job/{job_id}/batch/{batch_id}/result"
    r = await org.http.get(base, headers=org.h)
    (result_id,) = wire.parse_result_ids(r.content, fmt)
    assert ids.is_valid(result_id, "752")
    r = await org.http.get(f"{base}/{result_id}", headers=org.h)
    assert r.status_code == 200
    return r.headers["content-type"], r.content


async def test_csv_query_returns_csv_rows_from_inserts(org: Org) -> None:
    await _load(org, "Name,Industry\nAcme,Energy\nGlobex,Banking\nInitech,Energy\n")
    job_id, batch_id = await _query(
        org, "SELECT Id, Name FROM Account WHERE Industry = 'energy' ORDER BY Name DESC"
    )
    await org.tick(5)
    batch = await org.batch(job_id, batch_id)
    assert (batch.state, batch.number_records_processed) == (BatchState.COMPLETED, 2)
    ctype, body = await _rows(org, job_id, batch_id)
    assert ctype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [r["Name"] for r in rows] == ["Initech", "Acme"]
    assert body.decode().splitlines()[0] == '"Id","Name"'
    assert all(r["Id"].startswith("001") for r in rows)


async def test_query_sees_records_only_once_the_load_finished(org: Org) -> None:
    await org.csv_job_with_batch("Name\nLate\n", operation="insert", object="Account")
    q_job, q_batch = await _query(org, "SELECT Id FROM Account")
    await org.tick(5)
    _, body = await _rows(org, q_job, q_batch)
    assert body.decode() == '"Id"\n'


async def test_json_and_xml_result_sets(org: Org) -> None:
    await _load(org, "Name,NumberOfEmployees\nAcme,12\n")
    job_id, batch_id = await _query(
        org, "SELECT Id, Name, NumberOfEmployees, Phone FROM Account", "JSON"
    )
    await org.tick(5)
    ctype, body = await _rows(org, job_id, batch_id, "json")
    (record,) = json.loads(body)
    assert ctype == "application/json"
    assert record["attributes"]["type"] == "Account"
    assert record["attributes"]["url"] == f"/services/data/v{V}/sobjects/Account/{record['Id']}"
    assert (record["Name"], record["NumberOfEmployees"], record["Phone"]) == ("Acme", 12, None)
    job_id, batch_id = await _query(org, "SELECT Name, Phone FROM Account LIMIT 1", "XML")
    await org.tick(5)
    ctype, body = await _rows(org, job_id, batch_id)
    doc = wire.load_xml(body)
    records = doc["queryResult"]["records"]
    assert records["type"] == "Account" and records["Name"] == "Acme"
    assert records["Phone"]["@xsi:nil"] == "true"


@pytest.mark.parametrize(
    ("soql", "message"),
    [
        (
            "SELECT Id, Bogus__c FROM Account",
            "INVALID_FIELD: No such column 'Bogus__c' on entity 'Account'.",
        ),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE: sObject type 'Nope__c' is not supported."),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY: unexpected end of query"),
        ("SELEC Id FROM Account", "MALFORMED_QUERY: unexpected token: 'SELEC'"),
    ],
)
async def test_bad_soql_fails_the_batch(org: Org, soql: str, message: str) -> None:
    job_id, batch_id = await _query(org, soql)
    await org.tick(5)
    batch = await org.batch(job_id, batch_id)
    assert batch.state is BatchState.FAILED
    assert batch.state_message is not None
    assert batch.state_message.startswith(f"InvalidBatch : Failed to process query: {message}")


async def test_query_all_sees_deleted_rows_and_limit_applies(org: Org) -> None:
    job_id, batch_id = await org.csv_job_with_batch(
        "Name\nA\nB\nC\n", operation="insert", object="Account"
    )
    await org.tick(5)
    r = await org.http.get(
        f"/services/async/{V}/job/{job_id}/batch/{batch_id}/result", headers=org.h
    )
    first = wire.parse_record_results(r.content, "csv")[0].id
    await org.csv_job_with_batch(f"Id\n{first}\n", operation="delete", object="Account")
    await org.tick(5)
    for op, expected in (("query", 2), ("queryAll", 3)):
        q_job, q_batch = await _query(org, "SELECT Id, IsDeleted FROM Account", op=op)
        await org.tick(5)
        assert (await org.batch(q_job, q_batch)).number_records_processed == expected
    q_job, q_batch = await _query(
        org, "SELECT Id FROM Account WHERE Name IN ('A', 'B', 'C') LIMIT 1", op="queryAll"
    )
    await org.tick(5)
    assert (await org.batch(q_job, q_batch)).number_records_processed == 1


async def test_unknown_result_id(org: Org) -> None:
    job_id, batch_id = await _query(org, "SELECT Id FROM Account")
    await org.tick(5)
    r = await org.http.get(
        f"/services/async/{V}/job/{job_id}/batch/{batch_id}/result/{ids.make_id('752', '5g', 9)}",
        headers=org.h,
    )
    assert wire.parse_error(r.status_code, r.content, "application/xml").code == "InvalidBatch"
