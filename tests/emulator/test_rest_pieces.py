"""The REST calls real clients make before Bulk work: versions, resources, a User by id,
describe, query paging and columns=true; and the stats that show routes the emulator lacks."""

from __future__ import annotations

from bulktui.emulator.objects import find_object

from .helpers import Org, V


async def test_versions_are_public_and_resources_need_a_session(org: Org) -> None:
    r = await org.http.get("/services/data")
    assert r.status_code == 200
    versions = r.json()
    assert versions[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert {"label": "Summer '25", "url": "/services/data/v64.0", "version": "64.0"} in versions
    assert versions[-1]["version"] == "66.0" and versions[-1]["label"] == "Spring '26"
    r = await org.http.get(f"/services/data/v{V}")
    assert r.status_code == 401
    r = await org.http.get(f"/services/data/v{V}/", headers=org.bearer)
    assert r.status_code == 200
    resources = r.json()
    assert resources["sobjects"] == f"/services/data/v{V}/sobjects"
    assert resources["jobs"] == f"/services/data/v{V}/jobs"
    assert resources["identity"].endswith(f"/id/{org.engine.org_id}/{org.engine.default_user.id}")


async def test_user_by_id_and_describe(org: Org) -> None:
    user = org.engine.default_user
    r = await org.http.get(f"/services/data/v{V}/sobjects/User/{user.id}", headers=org.bearer)
    assert r.status_code == 200
    assert r.json()["Username"] == user.username and r.json()["Id"] == user.id
    r = await org.http.get(
        f"/services/data/v{V}/sobjects/User/{user.id[:15]}",
        headers=org.bearer,
        params={"fields": "Username,Name"},
    )
    assert set(r.json()) == {"attributes", "Username", "Name"}
    r = await org.http.get(
        f"/services/data/v{V}/sobjects/User/005000000000000AAA", headers=org.bearer
    )
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"

    r = await org.http.get(f"/services/data/v{V}/sobjects/account/describe", headers=org.bearer)
    body = r.json()
    assert body["name"] == "Account" and body["keyPrefix"] == "001"
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["Name"]["nillable"] is False and fields["Name"]["createable"] is True
    assert fields["External_Id__c"]["externalId"] is True
    assert fields["AnnualRevenue"]["type"] == "double"
    r = await org.http.get(f"/services/data/v{V}/sobjects/Nope__c/describe", headers=org.bearer)
    assert r.status_code == 404


async def test_query_pages_at_2000_rows_and_columns(org: Org) -> None:
    user_object = find_object("User")
    assert user_object is not None
    users = org.engine.store.live(user_object)
    for i in range(4500):
        org.engine.add_user(f"u{i}@bulktui.example", f"User {i}")
    assert len(users) == 4501
    url = f"/services/data/v{V}/query"
    r = await org.http.get(url, headers=org.bearer, params={"q": "SELECT Id, Username FROM User"})
    page = r.json()
    assert (page["totalSize"], page["done"], len(page["records"])) == (4501, False, 2000)
    seen = [x["Username"] for x in page["records"]]
    while not page["done"]:
        assert page["nextRecordsUrl"].startswith(f"/services/data/v{V}/query/01g")
        page = (await org.http.get(page["nextRecordsUrl"], headers=org.bearer)).json()
        seen += [x["Username"] for x in page["records"]]
    assert len(seen) == len(set(seen)) == 4501
    assert "nextRecordsUrl" not in page

    r = await org.http.get(
        url, headers=org.bearer, params={"q": "SELECT Id, Username FROM User", "columns": "true"}
    )
    meta = r.json()
    assert meta["entityName"] == "User"
    assert [c["columnName"] for c in meta["columnMetadata"]] == ["Id", "Username"]
    bad = await org.http.get(f"{url}/01gBOGUS-2000", headers=org.bearer)
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


async def test_stats_count_unknown_routes_by_method_and_path(org: Org) -> None:
    await org.http.get(f"/services/data/v{V}/tooling/query", headers=org.bearer)
    await org.http.get(f"/services/data/v{V}/tooling/query", headers=org.bearer)
    await org.http.post("/services/oauth2/nope")
    await org.http.get(f"/services/async/{V}/nothing", headers=org.h)
    await org.http.get(f"/services/data/v{V}/limits", headers=org.bearer)  # known: not counted
    stats = (await org.http.get("/_emulator/stats")).json()
    assert stats["unknown_routes"] == {
        f"GET /services/data/v{V}/tooling/query": 2,
        "POST /services/oauth2/nope": 1,
        f"GET /services/async/{V}/nothing": 1,
    }
    assert stats["routes"]["GET /services/data/v{v}/limits"] == 1
