"""Bulk API 2.0 ingest and query jobs, through the ASGI app on a manual clock."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import replace
from typing import Any

import httpx
import pytest

from bulktui.emulator import EngineConfig, bulk2
from bulktui.emulator.seeding import seed_jobs

from .helpers import Org, V, make_org

INGEST = f"/services/data/v{V}/jobs/ingest"
QUERY = f"/services/data/v{V}/jobs/query"


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(), newline="")))


async def _create(org: Org, **fields: Any) -> dict[str, Any]:
    body = {"object": "Account", "operation": "insert", **fields}
    r = await org.http.post(INGEST, headers=org.bearer, json=body)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def _upload(org: Org, job_id: str, data: str | bytes) -> httpx.Response:
    return await org.http.put(
        f"{INGEST}/{job_id}/batches",
        headers={**org.bearer, "Content-Type": "text/csv"},
        content=data,
    )


async def _patch(org: Org, path: str, state: str) -> httpx.Response:
    return await org.http.patch(path, headers=org.bearer, json={"state": state})


async def _loaded(org: Org, data: str, **fields: Any) -> str:
    job = await _create(org, **fields)
    assert (await _upload(org, job["id"], data)).status_code == 201
    r = await _patch(org, f"{INGEST}/{job['id']}", "UploadComplete")
    assert r.status_code == 200 and r.json()["state"] == "UploadComplete", r.text
    return str(job["id"])


async def test_create_answers_open_with_content_url(org: Org) -> None:
    job = await _create(org, lineEnding="LF", columnDelimiter="COMMA")
    assert job["state"] == "Open" and job["jobType"] == "V2Ingest"
    assert job["contentUrl"] == f"services/data/v{V}/jobs/ingest/{job['id']}/batches"
    assert (job["lineEnding"], job["columnDelimiter"], job["contentType"]) == ("LF", "COMMA", "CSV")
    assert job["apiVersion"] == 64.0 and len(job["id"]) == 18


async def test_create_refusals_are_json_arrays(org: Org) -> None:
    r = await org.http.post(
        INGEST, headers=org.bearer, json={"object": "Foo__c", "operation": "insert"}
    )
    assert r.status_code == 400
    assert r.json() == [
        {"message": "InvalidJob : Unable to find object: Foo__c", "errorCode": "INVALIDJOB"}
    ]
    r = await org.http.post(
        INGEST, headers=org.bearer, json={"object": "Account", "operation": "query"}
    )
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALIDJOB"
    r = await org.http.post(
        INGEST, headers=org.bearer, json={"object": "Account", "operation": "upsert"}
    )
    assert r.status_code == 400 and "External ID" in r.json()[0]["message"]
    r = await org.http.post(INGEST, headers=org.bearer, content=b"{not json")
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


async def test_ingest_runs_on_the_clock_and_gives_three_result_sets(org: Org) -> None:
    job_id = await _loaded(org, "Name,Industry\nAcme,Energy\n,Retail\nGlobex,Banking\n")
    url = f"{INGEST}/{job_id}"
    info = (await org.http.get(url, headers=org.bearer)).json()
    assert info["state"] == "UploadComplete" and "contentUrl" not in info
    await org.tick(1)
    info = (await org.http.get(url, headers=org.bearer)).json()
    assert info["state"] == "InProgress"
    await org.tick(5)
    info = (await org.http.get(url, headers=org.bearer)).json()
    assert info["state"] == "JobComplete"
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"], info["retries"]) == (
        3,
        1,
        0,
    )
    for key in ("totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime"):
        assert isinstance(info[key], int)
    assert "numberBatchesTotal" not in info and "errorMessage" not in info

    r = await org.http.get(f"{url}/successfulResults/", headers=org.bearer)
    assert r.headers["content-type"] == "text/csv"
    ok = _rows(r.content)
    assert ok[0] == ["sf__Id", "sf__Created", "Name", "Industry"]
    assert [row[1:] for row in ok[1:]] == [
        ["true", "Acme", "Energy"],
        ["true", "Globex", "Banking"],
    ]
    assert r.content.startswith(b'"sf__Id","sf__Created",Name,Industry\n"001')
    failed = _rows((await org.http.get(f"{url}/failedResults/", headers=org.bearer)).content)
    assert failed[0] == ["sf__Id", "sf__Error", "Name", "Industry"]
    assert failed[1][0] == "" and failed[1][1].startswith("REQUIRED_FIELD_MISSING:")
    assert failed[1][2:] == ["", "Retail"]
    unprocessed = _rows(
        (await org.http.get(f"{url}/unprocessedrecords/", headers=org.bearer)).content
    )
    assert unprocessed == [["Name", "Industry"]]


async def test_dialect_is_read_and_written(org: Org) -> None:
    job_id = await _loaded(
        org, "Name|Industry\r\nPipe Co|Energy\r\n", lineEnding="CRLF", columnDelimiter="PIPE"
    )
    await org.tick(10)
    r = await org.http.get(f"{INGEST}/{job_id}/successfulResults/", headers=org.bearer)
    assert r.content.endswith(b'|"true"|"Pipe Co"|"Energy"\r\n')


async def test_failed_job_carries_error_message(org: Org) -> None:
    job_id = await _loaded(org, "Name,Nope__c\nAcme,1\n")
    await org.tick(10)
    info = (await org.http.get(f"{INGEST}/{job_id}", headers=org.bearer)).json()
    assert info["state"] == "Failed"
    assert info["errorMessage"] == "InvalidBatch : Field name not found : Nope__c"
    r = await org.http.get(f"{INGEST}/{job_id}/unprocessedrecords/", headers=org.bearer)
    assert _rows(r.content) == [["Name", "Nope__c"], ["Acme", "1"]]


async def test_wrong_line_ending_fails_the_job(org: Org) -> None:
    job_id = await _loaded(org, "Name\r\nAcme\r\n")
    await org.tick(5)
    info = (await org.http.get(f"{INGEST}/{job_id}", headers=org.bearer)).json()
    assert info["state"] == "Failed" and "LineEnding is invalid" in info["errorMessage"]


async def test_upload_rules(org: Org) -> None:
    job = await _create(org)
    r = await org.http.put(
        f"{INGEST}/{job['id']}/batches",
        headers={**org.bearer, "Content-Type": "application/json"},
        content=b"[]",
    )
    assert r.status_code == 415
    assert (await _upload(org, job["id"], "Name\nA\n")).status_code == 201
    r = await _upload(org, job["id"], "Name\nB\n")
    assert r.status_code == 400 and "Found multiple contents" in r.json()[0]["message"]
    await _patch(org, f"{INGEST}/{job['id']}", "UploadComplete")
    r = await _upload(org, job["id"], "Name\nC\n")
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALIDJOBSTATE"


async def test_transitions_and_refusals(org: Org) -> None:
    job = await _create(org)
    url = f"{INGEST}/{job['id']}"
    r = await _patch(org, url, "JobComplete")
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    r = await org.http.delete(url, headers=org.bearer)
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    r = await _patch(org, url, "Aborted")
    assert r.status_code == 200 and r.json()["state"] == "Aborted"
    r = await _patch(org, url, "Aborted")
    assert r.status_code == 400
    assert r.json()[0] == {
        "message": "Aborting already Aborted Job not allowed",
        "errorCode": "INVALIDJOBSTATE",
    }
    r = await _patch(org, url, "UploadComplete")
    assert r.status_code == 400

    done = await _loaded(org, "Name\nA\n")
    await org.tick(10)
    r = await _patch(org, f"{INGEST}/{done}", "Aborted")
    assert r.json()[0]["message"] == "Aborting already Completed Job not allowed"
    assert (await org.http.delete(f"{INGEST}/{done}", headers=org.bearer)).status_code == 204
    r = await org.http.get(f"{INGEST}/{done}", headers=org.bearer)
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"


async def test_abort_in_progress_leaves_unprocessed_records() -> None:
    org = make_org(replace(EngineConfig(), parallel_batches_per_job=1))
    async with org.http:
        rows = "".join(f"Acct {i}\n" for i in range(25_000))
        job_id = await _loaded(org, "Name\n" + rows)
        url = f"{INGEST}/{job_id}"
        await org.tick(1.2)
        assert (await org.http.get(url, headers=org.bearer)).json()["state"] == "InProgress"
        r = await _patch(org, url, "Aborted")
        assert r.status_code == 200 and r.json()["state"] == "Aborted"
        await org.tick(60)
        info = (await org.http.get(url, headers=org.bearer)).json()
        assert info["state"] == "Aborted" and info["numberRecordsProcessed"] == 10_000
        r = await org.http.get(f"{url}/unprocessedrecords/", headers=org.bearer)
        unprocessed = _rows(r.content)
        ok = _rows((await org.http.get(f"{url}/successfulResults/", headers=org.bearer)).content)
        assert (len(ok) - 1, len(unprocessed) - 1) == (10_000, 15_000)


async def test_ids_session_and_kinds(org: Org) -> None:
    job = await _create(org)
    r = await org.http.get(f"{INGEST}/{job['id']}", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and "sforce-limit-info" not in r.headers
    r = await org.http.get(f"{INGEST}/7505g00000ZZZZZAAA", headers=org.bearer)
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"
    assert "sforce-limit-info" in r.headers
    r = await org.http.get(f"{QUERY}/{job['id']}", headers=org.bearer)
    assert r.status_code == 404  # an ingest job is not a query job
    r = await org.http.get(f"/services/async/{V}/job/{job['id']}", headers=org.h)
    assert r.status_code == 400 and b"InvalidJob" in r.content  # nor a 1.0 job
    classic = await org.create_job(operation="insert", object="Account", contentType="CSV")
    r = await org.http.get(f"{INGEST}/{classic.id}", headers=org.bearer)
    assert r.status_code == 404
    r = await org.http.get(f"/services/data/v40.0/jobs/ingest/{job['id']}", headers=org.bearer)
    assert r.status_code == 404


async def _query_job(org: Org, soql: str, operation: str = "query") -> str:
    r = await org.http.post(QUERY, headers=org.bearer, json={"operation": operation, "query": soql})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["state"] == "UploadComplete" and data["jobType"] == "V2Query"
    assert data["object"] == "Account"
    return str(data["id"])


async def test_query_job_pages_with_locator(org: Org) -> None:
    await _loaded(org, "Name\n" + "".join(f"Q{i}\n" for i in range(5)))
    await org.tick(10)
    job_id = await _query_job(org, "SELECT Id, Name FROM Account ORDER BY Name")
    r = await org.http.get(f"{QUERY}/{job_id}/results", headers=org.bearer)
    assert r.status_code == 412 and r.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
    await org.tick(10)
    info = (await org.http.get(f"{QUERY}/{job_id}", headers=org.bearer)).json()
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 5
    assert "numberRecordsFailed" not in info
    names: list[str] = []
    params: dict[str, str] = {"maxRecords": "2"}
    pages = 0
    while True:
        r = await org.http.get(f"{QUERY}/{job_id}/results", headers=org.bearer, params=params)
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv"
        rows = _rows(r.content)
        assert rows[0] == ["Id", "Name"]
        assert int(r.headers["sforce-numberofrecords"]) == len(rows) - 1
        names += [row[1] for row in rows[1:]]
        pages += 1
        locator = r.headers["sforce-locator"]
        if locator == "null":
            break
        params = {"maxRecords": "2", "locator": locator}
    assert pages == 3 and names == [f"Q{i}" for i in range(5)]
    r = await org.http.get(f"/services/data/v63.0/jobs/query/{job_id}/results", headers=org.bearer)
    assert r.status_code == 409
    r = await org.http.get(
        f"{QUERY}/{job_id}/results", headers=org.bearer, params={"locator": "!!"}
    )
    assert r.status_code == 400


async def test_query_job_refusals_abort_and_delete(org: Org) -> None:
    r = await org.http.post(
        QUERY, headers=org.bearer, json={"operation": "query", "query": "SELECT Nope FROM Account"}
    )
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_FIELD"
    job_id = await _query_job(org, "SELECT Id FROM Account", "queryAll")
    r = await org.http.delete(f"{QUERY}/{job_id}", headers=org.bearer)
    assert r.status_code == 400  # not ended yet
    r = await _patch(org, f"{QUERY}/{job_id}", "UploadComplete")
    assert r.status_code == 400
    r = await _patch(org, f"{QUERY}/{job_id}", "Aborted")
    assert r.status_code == 200 and r.json()["state"] == "Aborted"
    await org.tick(10)
    assert (await org.http.get(f"{QUERY}/{job_id}", headers=org.bearer)).json()[
        "state"
    ] == "Aborted"
    assert (await org.http.delete(f"{QUERY}/{job_id}", headers=org.bearer)).status_code == 204
    assert (await org.http.get(f"{QUERY}/{job_id}", headers=org.bearer)).status_code == 404


async def test_listings_carry_v2_rows_and_share_locators(org: Org) -> None:
    ingest = await _create(org)
    query = await _query_job(org, "SELECT Id FROM Account")
    classic = await org.create_job(operation="insert", object="Account", contentType="CSV")
    rows = (await org.http.get(INGEST, headers=org.bearer)).json()["records"]
    kinds = {r["id"]: r["jobType"] for r in rows}
    assert kinds == {ingest["id"]: "V2Ingest", classic.id: "Classic"}
    row = next(r for r in rows if r["id"] == ingest["id"])
    assert row["contentUrl"].endswith("/batches") and "numberRecordsProcessed" not in row
    rows = (await org.http.get(QUERY, headers=org.bearer)).json()["records"]
    assert {r["id"]: r["jobType"] for r in rows} == {query: "V2Query", classic.id: "Classic"}
    r = await org.http.get(QUERY, headers=org.bearer, params={"jobType": "V2Query"})
    assert [x["id"] for x in r.json()["records"]] == [query]


async def test_a_locator_from_either_listing_works_on_the_other() -> None:
    org = make_org(replace(EngineConfig(), list_page_size=2))
    async with org.http:
        for _ in range(5):
            await _create(org)
        page = (await org.http.get(INGEST, headers=org.bearer)).json()
        assert page["done"] is False
        url = page["nextRecordsUrl"]
        locator = url.split("queryLocator=")[1]
        assert len(locator.split("-")[0]) == 18 and locator.endswith("-2")
        a = (await org.http.get(url, headers=org.bearer)).json()
        b = (await org.http.get(QUERY, headers=org.bearer, params={"queryLocator": locator})).json()
        assert a["records"] == b["records"] and len(a["records"]) == 2
        assert a["nextRecordsUrl"].endswith("-4") and b["nextRecordsUrl"].endswith("-4")
        assert all(r["jobType"] == "V2Ingest" for r in a["records"])


async def test_finished_v2_jobs_purge_seven_days_after_they_end(org: Org) -> None:
    job_id = await _loaded(org, "Name\nA\n")
    await org.tick(6 * 86400)
    assert (await org.http.get(f"{INGEST}/{job_id}", headers=org.bearer)).status_code == 200
    await org.tick(86400 + 60)
    assert (await org.http.get(f"{INGEST}/{job_id}", headers=org.bearer)).status_code == 404
    rows = (await org.http.get(INGEST, headers=org.bearer)).json()["records"]
    assert job_id not in [r["id"] for r in rows]


async def test_seeded_v2_jobs_answer_on_the_v2_endpoints(org: Org) -> None:
    seeded = seed_jobs(
        org.engine,
        [
            {
                "jobType": "V2Ingest",
                "state": "JobComplete",
                "numberRecordsProcessed": 10,
                "numberRecordsFailed": 2,
                "retries": 1,
            },
            {"jobType": "V2Query", "state": "InProgress"},
            {"jobType": "V2Ingest", "state": "Failed", "errorMessage": "InvalidBatch : boom"},
        ],
    )
    done, running, failed = (j.id for j in seeded)
    info = (await org.http.get(f"{INGEST}/{done}", headers=org.bearer)).json()
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"], info["retries"]) == (
        10,
        2,
        1,
    )
    info = (await org.http.get(f"{QUERY}/{running}", headers=org.bearer)).json()
    assert (info["state"], info["jobType"], info["operation"]) == ("InProgress", "V2Query", "query")
    info = (await org.http.get(f"{INGEST}/{failed}", headers=org.bearer)).json()
    assert info["errorMessage"] == "InvalidBatch : boom"
    rows = (await org.http.get(INGEST, headers=org.bearer)).json()["records"]
    assert {r["id"] for r in rows} == {done, failed}


async def test_doubled_slashes_and_the_organization_query(org: Org) -> None:
    r = await org.http.get(
        f"/services//data/v{V}//query",
        headers=org.bearer,
        params={"q": "SELECT Name, IsSandbox FROM Organization"},
    )
    assert r.status_code == 200
    (record,) = r.json()["records"]
    assert record["Name"] == org.engine.config.org_name and record["IsSandbox"] is False


async def test_upload_size_cap(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real cap is 150 MB once base64-encoded; a smaller one proves the rule.
    monkeypatch.setattr(bulk2, "MAX_UPLOAD_BASE64", 400)
    job = await _create(org)
    r = await _upload(org, job["id"], "Name\n" + "x" * 300 + "\n")
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "CLIENTINPUTERROR"
    assert (await _upload(org, job["id"], "Name\nsmall\n")).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"object": "Account", "operation": "insert", "lineEnding": ["LF"]},
        {"object": "Account", "operation": "insert", "columnDelimiter": {"x": 1}},
        {"object": ["Account"], "operation": "insert"},
        {"object": "Account", "operation": 7},
        {"object": "Account", "operation": "insert", "contentType": None},
        {"object": "Account", "operation": "insert", "externalIdFieldName": 5},
        {"object": "Account", "operation": "insert", "assignmentRuleId": "nope"},
    ],
)
async def test_hostile_create_bodies_are_400s(org: Org, body: dict[str, Any]) -> None:
    r = await org.http.post(INGEST, headers=org.bearer, json=body)
    assert r.status_code == 400, r.text
    assert set(r.json()[0]) == {"errorCode", "message"}


@pytest.mark.parametrize("body", [b"[]", b'"x"', b'{"state": 5}', b'{"state": null}', b"{}"])
async def test_hostile_patch_bodies_are_400s_and_change_nothing(org: Org, body: bytes) -> None:
    job = await _create(org)
    r = await org.http.patch(f"{INGEST}/{job['id']}", headers=org.bearer, content=body)
    assert r.status_code == 400, r.text
    info = (await org.http.get(f"{INGEST}/{job['id']}", headers=org.bearer)).json()
    assert info["state"] == "Open"
    r = await org.http.post(QUERY, headers=org.bearer, content=body)
    assert r.status_code == 400, r.text


async def test_gzip_upload(org: Org) -> None:
    job = await _create(org)
    headers = {**org.bearer, "Content-Type": "text/csv", "Content-Encoding": "gzip"}
    url = f"{INGEST}/{job['id']}/batches"
    r = await org.http.put(url, headers=headers, content=b"not gzip")
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "CLIENTINPUTERROR"
    r = await org.http.put(url, headers=headers, content=gzip.compress(b"Name\nZipped\n"))
    assert r.status_code == 201
    await _patch(org, f"{INGEST}/{job['id']}", "UploadComplete")
    await org.tick(10)
    info = (await org.http.get(f"{INGEST}/{job['id']}", headers=org.bearer)).json()
    assert (info["state"], info["numberRecordsProcessed"]) == ("JobComplete", 1)
