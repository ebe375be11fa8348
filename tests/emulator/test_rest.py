"""The REST side: 2.0 job lists (pagination, filters), REST query, limits, userinfo."""

from __future__ import annotations

import re

from bulktui.api import wire
from bulktui.emulator.seeding import seed_jobs

from .helpers import Org, V


async def test_job_list_pages_of_1000_with_query_locator(org: Org) -> None:
    seeded = seed_jobs(org.engine, [{"state": "Closed", "copies": 2500}])
    seen: list[str] = []
    url = f"/services/data/v{V}/jobs/query"
    pages = 0
    while url:
        r = await org.http.get(url, headers=org.bearer)
        assert r.status_code == 200
        assert re.fullmatch(r"api-usage=\d+/15000", r.headers["sforce-limit-info"])
        page = wire.parse_job_list_page(r.content)
        seen.extend(j.id for j in page.records)
        pages += 1
        if page.next_records_url:
            assert re.fullmatch(
                rf"/services/data/v{V}/jobs/query\?queryLocator=01g\w{{15}}-\d+",
                page.next_records_url,
            )
            assert not page.done and len(page.records) == 1000
        url = page.next_records_url or ""
    assert pages == 3
    assert seen == [j.id for j in seeded]


async def test_list_rows_carry_no_counts(org: Org) -> None:
    seed_jobs(
        org.engine,
        [
            {
                "state": "Closed",
                "operation": "upsert",
                "object": "Contact",
                "externalIdFieldName": "Legacy_Key__c",
                "numberRecordsProcessed": 9,
            }
        ],
    )
    r = await org.http.get(f"/services/data/v{V}/jobs/ingest", headers=org.bearer)
    (row,) = r.json()["records"]
    assert list(row) == [
        "id",
        "operation",
        "object",
        "createdById",
        "createdDate",
        "systemModstamp",
        "state",
        "externalIdFieldName",
        "concurrencyMode",
        "contentType",
        "apiVersion",
        "jobType",
    ]
    assert row["jobType"] == "Classic" and row["apiVersion"] == 64.0
    assert r.json()["nextRecordsUrl"] is None and r.json()["done"] is True


async def test_ingest_lists_loads_and_query_lists_everything(org: Org) -> None:
    seed_jobs(
        org.engine, [{"operation": "insert"}, {"operation": "query"}, {"operation": "queryAll"}]
    )
    ingest = (await org.http.get(f"/services/data/v{V}/jobs/ingest", headers=org.bearer)).json()
    query = (await org.http.get(f"/services/data/v{V}/jobs/query", headers=org.bearer)).json()
    assert [r["operation"] for r in ingest["records"]] == ["insert"]
    assert [r["operation"] for r in query["records"]] == ["insert", "query", "queryAll"]


async def test_job_type_filter(org: Org) -> None:
    seed_jobs(org.engine, [{"copies": 2}])
    for job_type, count in (("Classic", 2), ("V2Ingest", 0), ("V2Query", 0)):
        r = await org.http.get(
            f"/services/data/v{V}/jobs/query", params={"jobType": job_type}, headers=org.bearer
        )
        assert len(r.json()["records"]) == count
    r = await org.http.get(
        f"/services/data/v{V}/jobs/query", params={"jobType": "classic"}, headers=org.bearer
    )
    assert r.status_code == 400


async def test_filter_survives_pagination() -> None:
    from dataclasses import replace

    from bulktui.emulator import EngineConfig

    from .helpers import make_org

    org = make_org(replace(EngineConfig(), list_page_size=2))
    async with org.http:
        seed_jobs(org.engine, [{"operation": "insert"}, {"operation": "query"}] * 3)
        url = f"/services/data/v{V}/jobs/ingest"
        ops = []
        while url:
            data = (await org.http.get(url, headers=org.bearer)).json()
            ops += [r["operation"] for r in data["records"]]
            url = data["nextRecordsUrl"]
        assert ops == ["insert"] * 3


async def test_bad_locator_and_bad_bearer(org: Org) -> None:
    r = await org.http.get(
        f"/services/data/v{V}/jobs/query", params={"queryLocator": "01gX-9"}, headers=org.bearer
    )
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    r = await org.http.get(f"/services/data/v{V}/jobs/query", headers={"Authorization": "Bearer x"})
    assert r.status_code == 401
    assert r.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert "sforce-limit-info" not in r.headers  # only authenticated answers carry it
    r = await org.http.get(f"/services/data/v{V}/jobs/query", headers={"X-SFDC-Session": org.token})
    assert r.status_code == 401  # 2.0 wants a bearer token


async def test_session_expiry_on_both_apis(org: Org) -> None:
    await org.tick(7199, renew=False)
    assert (
        await org.http.get(f"/services/data/v{V}/limits", headers=org.bearer)
    ).status_code == 200
    await org.tick(2, renew=False)
    r = await org.http.get(f"/services/data/v{V}/limits", headers=org.bearer)
    assert r.status_code == 401
    r = await org.http.get(f"/services/async/{V}/job/x", headers=org.h)
    err = wire.parse_error(r.status_code, r.content, r.headers["content-type"])
    assert (r.status_code, err.code) == (400, "InvalidSessionId")


async def test_rest_query_for_user_names(org: Org) -> None:
    other = org.engine.add_user("chen@bulktui.example", "Chen Wei")
    me = org.engine.default_user
    soql = (
        f"SELECT Id, Name FROM User WHERE Id IN ('{me.id}', '{other.id[:15]}', "
        "'005000000000000AAA')"
    )
    r = await org.http.get(f"/services/data/v{V}/query", params={"q": soql}, headers=org.bearer)
    data = r.json()
    assert data["totalSize"] == 2 and data["done"] is True
    assert {x["Id"]: x["Name"] for x in data["records"]} == {me.id: me.name, other.id: "Chen Wei"}
    r = await org.http.get(
        f"/services/data/v{V}/query", params={"q": "SELECT Nope FROM User"}, headers=org.bearer
    )
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_FIELD"


async def test_limits_and_api_usage_count_every_request(org: Org) -> None:
    await org.http.get(f"/services/async/{V}/job/x", headers=org.h)
    r = await org.http.get(f"/services/data/v{V}/limits", headers=org.bearer)
    assert r.headers["sforce-limit-info"] == "api-usage=2/15000"
    assert r.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 14998}


async def test_userinfo(org: Org) -> None:
    r = await org.http.get("/services/oauth2/userinfo", headers=org.bearer)
    data = r.json()
    me = org.engine.default_user
    assert (data["user_id"], data["organization_id"], data["preferred_username"], data["name"]) == (
        me.id,
        org.engine.org_id,
        me.username,
        me.name,
    )
    r = await org.http.get("/services/oauth2/userinfo", headers={"Authorization": "Bearer nope"})
    assert (r.status_code, r.text) == (403, "Bad_OAuth_Token")
