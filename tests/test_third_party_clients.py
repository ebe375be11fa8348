"""Fidelity: established Bulk 1.0 clients work against the emulator unchanged.

salesforce-bulk 2.2.0 and simple-salesforce 1.12.10 both use ``requests`` and hardcode
``https://``, so they talk to a real loopback EmulatorServer over TLS; the only override is the
CA file (REQUESTS_CA_BUNDLE / session.verify) and the instance URL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
from salesforce_bulk import SalesforceBulk
from simple_salesforce import Salesforce

from bulktui.emulator import EmulatorServer, Engine, EngineConfig
from bulktui.emulator.objects import find_object

# Batches finish on the first poll, so the clients' sleep-and-poll loops never sleep.
FAST = replace(EngineConfig(), records_per_second=1e6, queue_seconds=0, min_batch_seconds=0)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(Engine(config=FAST), tls=True) as srv:
        yield srv


@pytest.fixture
def token(server: EmulatorServer) -> str:
    return server.engine.issue_session()


def _accounts(server: EmulatorServer) -> dict[str, dict[str, object]]:
    accounts = find_object("Account")
    assert accounts is not None
    return server.engine.store.live(accounts)


def test_salesforce_bulk_csv_insert_poll_results_close(
    server: EmulatorServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server.ca_file is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
    bulk = SalesforceBulk(sessionId=token, host=server.url, API_version="64.0")

    job = bulk.create_insert_job("Account", contentType="CSV")
    batch = bulk.post_batch(job, b"Name,Industry\nSB Acme,Energy\n,Retail\nSB Globex,Banking\n")
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    assert bulk.batch_state(batch, job, reload=True) == "Completed"

    results = bulk.get_batch_results(batch, job)
    assert [(r.success, r.created) for r in results] == [
        ("true", "true"),
        ("false", "false"),
        ("true", "true"),
    ]
    assert results[1].error.startswith("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]")
    assert results[0].id in _accounts(server)

    bulk.close_job(job)
    assert bulk.job_state(job) == "Closed"
    batches = bulk.get_batch_list(job)
    assert [b["id"] for b in batches] == [batch]


def test_salesforce_bulk_csv_query(
    server: EmulatorServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server.ca_file is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
    bulk = SalesforceBulk(sessionId=token, host=server.url, API_version="64.0")
    loader = bulk.create_insert_job("Account", contentType="CSV")
    done = bulk.post_batch(loader, b"Name\nSBQ One\nSBQ Two\n")
    bulk.wait_for_batch(loader, done, timeout=20, sleep_interval=0.05)
    bulk.close_job(loader)

    job = bulk.create_query_job("Account", contentType="CSV")
    batch = bulk.query(job, "SELECT Id, Name FROM Account WHERE Name LIKE 'SBQ%'")
    bulk.wait_for_batch(job, batch, timeout=20, sleep_interval=0.05)
    bulk.close_job(job)
    rows = []
    for result in bulk.get_all_results_for_query_batch(batch, job):
        rows.extend(csv.DictReader(io.TextIOWrapper(result, encoding="utf-8")))
    assert sorted(r["Name"] for r in rows) == ["SBQ One", "SBQ Two"]
    assert all(r["Id"] in _accounts(server) for r in rows)
    assert bulk.get_query_batch_request(batch, job).startswith("SELECT Id, Name")


def test_simple_salesforce_json_insert_update_query(
    server: EmulatorServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server.ca_file is not None
    # requests lets REQUESTS_CA_BUNDLE override session.verify, so set both.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
    session = requests.Session()
    session.verify = server.ca_file
    sf = Salesforce(instance_url=server.url, session_id=token, version="64.0", session=session)

    inserted = sf.bulk.Contact.insert(
        [{"LastName": "Okafor", "Email": "ada@example.com"}, {"FirstName": "NoLast"}],
        batch_size=10,
    )
    assert inserted[0]["success"] is True and inserted[0]["created"] is True
    assert inserted[1]["success"] is False
    assert inserted[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert inserted[1]["errors"][0]["fields"] == ["LastName"]

    contact_id = inserted[0]["id"]
    updated = sf.bulk.Contact.update([{"Id": contact_id, "Title": "CFO"}, {"Id": "003xyz"}])
    assert updated[0] == {"success": True, "created": False, "id": contact_id, "errors": []}
    assert updated[1]["errors"][0]["statusCode"] == "MALFORMED_ID"

    rows = sf.bulk.Contact.query(
        f"SELECT Id, LastName, Title FROM Contact WHERE Id = '{contact_id}'"
    )
    assert [(r["Id"], r["LastName"], r["Title"]) for r in rows] == [(contact_id, "Okafor", "CFO")]
    assert rows[0]["attributes"]["type"] == "Contact"

    # Every job the client made is closed, as its _bulk_operation does.
    states = {j.state.value for j in server.engine.jobs.values() if j.object_name == "Contact"}
    assert states == {"Closed"}


def test_simple_salesforce_bulk2_insert_query_abort(
    server: EmulatorServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert server.ca_file is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
    session = requests.Session()
    session.verify = server.ca_file
    sf = Salesforce(instance_url=server.url, session_id=token, version="64.0", session=session)

    (loaded,) = sf.bulk2.Account.insert(
        records=[
            {"Name": "B2 Acme", "Industry": "Energy"},
            {"Name": "", "Industry": "Retail"},
            {"Name": "B2 Globex", "Industry": "Banking"},
        ],
        wait=0,
    )
    assert (loaded["numberRecordsProcessed"], loaded["numberRecordsFailed"]) == (3, 1)
    assert loaded["numberRecordsTotal"] == 3
    failed = list(
        csv.DictReader(io.StringIO(sf.bulk2.Account.get_failed_records(loaded["job_id"])))
    )
    assert len(failed) == 1 and failed[0]["Industry"] == "Retail"
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    ok = list(
        csv.DictReader(io.StringIO(sf.bulk2.Account.get_successful_records(loaded["job_id"])))
    )
    assert sorted(r["Name"] for r in ok) == ["B2 Acme", "B2 Globex"]
    assert all(r["sf__Id"] in _accounts(server) and r["sf__Created"] == "true" for r in ok)

    pages = list(
        sf.bulk2.Account.query(
            "SELECT Id, Name FROM Account WHERE Name LIKE 'B2 %' ORDER BY Name",
            max_records=1,
            wait=0,
        )
    )
    assert len(pages) == 2
    names = [row["Name"] for page in pages for row in csv.DictReader(io.StringIO(str(page)))]
    assert names == ["B2 Acme", "B2 Globex"]

    client = sf.bulk2.Account._client  # the handler's own client, as insert() uses it
    job = client.create_job("insert")
    assert job["state"] == "Open"
    client.upload_job_data(job["id"], "Name\nB2 Never\n")
    assert client.abort_job(job["id"], False)["state"] == "Aborted"
    assert client.get_job(job["id"], False)["state"] == "Aborted"
    assert "B2 Never" not in {a.get("Name") for a in _accounts(server).values()}
