"""The demo org (``--seed demo``, ``bulktui --demo``): a believable week of Bulk API traffic.

About 45 jobs over the past seven days from several users, across many objects and
operations: every job state, batches in every state with real-looking stateMessages, a few
loads still running, one load whose failure rate climbs, one job a client left Open, and a new
job every 20-40 s. Bulk API 2.0 jobs among them: a running upsert whose failures climb, one
left Open with its data uploaded, a finished one with failed rows, a query in progress and one
that Failed with an errorMessage. History is replayed through the engine itself (create, add
batch, close, abort at past times), so every number on screen is one the engine computed.
Deterministic for a given ``rng`` and clock.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bulktui.emulator.engine import Engine, UserInfo
from bulktui.emulator.objects import find_object
from bulktui.emulator.state import EmulatorError, Job

FIRST = [
    "Amelia",
    "Noah",
    "Isla",
    "Oliver",
    "Mia",
    "Arjun",
    "Zara",
    "Lucas",
    "Freya",
    "Mateo",
    "Aisha",
    "Leo",
    "Hana",
    "Ethan",
    "Chloe",
    "Tariq",
    "Ines",
    "Kai",
    "Nora",
    "Ravi",
]
LAST = [
    "Patel",
    "Okafor",
    "Nakamura",
    "Fischer",
    "Silva",
    "O'Brien",
    "Kowalski",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Achebe",
    "García",
    "Novak",
    "Rossi",
    "Jensen",
    "Chaudhry",
]
COMPANIES = [
    "Northwind",
    "Contoso",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark Freight",
    "Wayne Logistics",
    "Tyrell Bio",
    "Cyberdyne",
    "Soylent Foods",
    "Acme Tools",
    "Hooli",
    "Vandelay Import",
    "Massive Dynamic",
    "Wonka Confections",
]
SUFFIXES = ["Ltd", "GmbH", "Inc.", "plc", "S.A.", "BV", "Group", "Holdings"]
INDUSTRIES = ["Energy", "Banking", "Retail", "Healthcare", "Manufacturing", "Media", "Education"]
CITIES = ["London", "Leeds", "Dublin", "Berlin", "Lyon", "Porto", "Oslo", "Kraków", "Austin"]
STAGES = ["Prospecting", "Qualification", "Proposal/Price Quote", "Closed Won", "Closed Lost"]
DEMO_USERS = [
    ("priya.raman@bulktui.example", "Priya Raman"),
    ("marcus.webb@bulktui.example", "Marcus Webb"),
    ("integration@bulktui.example", "MuleSoft Integration"),
    ("dataloader@bulktui.example", "Data Loader Nightly"),
    ("chen.wei@bulktui.example", "Chen Wei"),
]

Rows = list[dict[str, str]]
SIZE_SCALE = 0.6  # keeps start-up near a second; the plan's rates are per record anyway
# Live records kept per object (the oldest go first). The seed holds up to about 20,000 of
# one object; the background loads add about 45,000 records an hour in all, which left
# unbounded made a demo left running for a day a gigabyte bigger (and its upserts slower).
RECORDS_PER_OBJECT = 25_000


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def _email(first: str, last: str, rng: random.Random) -> str:
    local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
    return f"{local}{rng.randint(1, 999)}@example.com"


def _row(obj: str, i: int, rng: random.Random, bad: bool) -> dict[str, str]:
    """One plausible record; ``bad`` ones fail in a way that object really fails."""
    first, last = _person(rng)
    key = f"EXT-{rng.randint(100000, 999999)}-{i}"
    if obj == "Account":
        name = f"{rng.choice(COMPANIES)} {rng.choice(SUFFIXES)}"
        return {
            "Name": "" if bad else name,
            "Industry": rng.choice(INDUSTRIES),
            "BillingCity": rng.choice(CITIES),
            "Phone": f"+44 20 7946 {rng.randint(0, 9999):04d}",
            "External_Id__c": key,
        }
    if obj == "Contact":
        email = "not-an-email" if bad and rng.random() < 0.5 else _email(first, last, rng)
        return {
            "FirstName": first,
            "LastName": "" if bad and "@" in email else last,
            "Email": email,
            "Title": rng.choice(["CFO", "Buyer", "Engineer", "Director"]),
            "External_Id__c": key,
        }
    if obj == "Lead":
        return {
            "FirstName": first,
            "LastName": last,
            "Company": "" if bad else rng.choice(COMPANIES),
            "Email": _email(first, last, rng),
            "LeadSource": rng.choice(["Web", "Partner", "Trade Show"]),
        }
    if obj == "Opportunity":
        return {
            "Name": f"{rng.choice(COMPANIES)} renewal {2026 + i % 2}",
            "StageName": "Won-ish" if bad else rng.choice(STAGES),
            "CloseDate": f"2026-{rng.randint(4, 12):02d}-{rng.randint(1, 28):02d}",
            "Amount": str(rng.randint(5, 500) * 100),
            "External_Id__c": key,
        }
    if obj == "Case":
        return {
            "Subject": rng.choice(
                ["Invoice query", "Login problem", "Delivery late", "Refund request"]
            ),
            "Origin": rng.choice(["Email", "Phone", "Web"]),
            "Priority": rng.choice(["Low", "Medium", "High"]),
            "ContactId": "003-bad" if bad else "",
        }
    if obj == "Task":
        return {
            "Subject": rng.choice(["Call back", "Send quote", "Follow up"]),
            "ActivityDate": "31/02/2026" if bad else f"2026-03-{rng.randint(1, 28):02d}",
        }
    if obj == "Product2":
        return {
            "Name": "" if bad else f"Widget {rng.choice('ABCDEFG')}-{rng.randint(100, 999)}",
            "ProductCode": f"WG-{i:05d}",
            "Family": rng.choice(["Hardware", "Services"]),
            "IsActive": "true",
        }
    if obj == "Invoice__c":
        return {
            "Name": f"INV-{rng.randint(10000, 99999)}",
            "Amount__c": "n/a" if bad else f"{rng.randint(100, 90000)}.00",
            "Status__c": rng.choice(["Draft", "Sent", "Paid"]),
        }
    if obj == "Shipment__c":
        return {
            "Name": "" if bad else f"SHP-{rng.randint(100000, 999999)}",
            "Carrier__c": rng.choice(["DHL", "UPS", "Royal Mail"]),
            "Tracking_Number__c": f"1Z{rng.randint(10**9, 10**10 - 1)}",
        }
    if obj == "Legacy_Order__c":
        return {
            "Order_Number__c": "" if bad else f"ORD-{i:06d}",
            "Amount__c": f"{rng.randint(10, 5000)}.50",
            "Placed_On__c": "2025-11-03T10:15:00Z",
        }
    if obj == "Campaign":
        return {
            "Name": "" if bad else f"Spring {rng.choice(['Webinar', 'Expo', 'Mailer'])} {i}",
            "Type": "Email",
            "IsActive": "true",
        }
    return {"Name": f"Record {i}"}


def _csv(rows: Rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _xml(rows: Rows) -> bytes:
    from xml.sax.saxutils import escape

    items = "".join(
        "<sObject>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in r.items() if v) + "</sObject>"
        for r in rows
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sObjects '
        f'xmlns="http://www.force.com/2009/06/asyncapi/dataload">{items}</sObjects>'
    ).encode()


def _json(rows: Rows) -> bytes:
    return json.dumps([{k: v for k, v in r.items() if v} for r in rows]).encode()


_ENCODERS: dict[str, tuple[Callable[[Rows], bytes], str]] = {
    "CSV": (_csv, "text/csv"),
    "XML": (_xml, "application/xml"),
    "JSON": (_json, "application/json"),
}


@dataclass
class _Load:
    """One job of the plan."""

    at: timedelta  # before now
    user: int
    obj: str
    operation: str = "insert"
    batches: int = 2
    size: int = 200
    fail: float = 0.02  # share of bad rows
    climb: float = 0.0  # extra failure share per batch
    content: str = "CSV"
    serial: bool = False
    rate: float | None = None
    close: bool = True
    abort_after: timedelta | None = None
    fail_job: bool = False
    soql: str | None = None
    external_id: str | None = None
    spacing: timedelta = timedelta(seconds=2)
    broken: str | None = None  # a payload that fails the whole batch
    v2: bool = False  # a Bulk API 2.0 job: one CSV upload, then UploadComplete


def _plan() -> list[_Load]:
    d, h, m = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
    return [
        # A week ago: the nightly loads and some cleanup.
        _Load(6 * d + 20 * h, 3, "Account", batches=5, size=800, fail=0.01),
        _Load(6 * d + 19 * h, 3, "Contact", batches=6, size=900, fail=0.03),
        _Load(6 * d + 5 * h, 1, "Lead", batches=2, size=400, fail=0.05, content="XML"),
        _Load(
            5 * d + 22 * h,
            3,
            "Opportunity",
            "upsert",
            batches=3,
            size=500,
            fail=0.04,
            external_id="External_Id__c",
        ),
        _Load(
            5 * d + 9 * h,
            2,
            "Account",
            "query",
            soql="SELECT Id, Name, Industry FROM Account WHERE Industry = 'Energy'",
        ),
        _Load(5 * d + 3 * h, 4, "Product2", batches=1, size=120, fail=0.0, content="JSON"),
        _Load(4 * d + 21 * h, 4, "Invoice__c", batches=4, size=700, fail=0.06),
        _Load(4 * d + 20 * h, 3, "Contact", "update", batches=2, size=300, fail=0.02),
        _Load(4 * d + 11 * h, 1, "Case", batches=3, size=250, fail=0.04, serial=True),
        _Load(4 * d + 2 * h, 2, "Account", "query", soql="SELECT Id, Region__c FROM Account"),
        _Load(
            3 * d + 23 * h,
            4,
            "Shipment__c",
            batches=8,
            size=600,
            fail=0.01,
            abort_after=14 * m,
            rate=2.0,
            serial=True,
        ),  # aborted mid-way: NotProcessed batches
        _Load(
            3 * d + 20 * h,
            3,
            "Legacy_Order__c",
            "upsert",
            batches=3,
            size=500,
            fail=0.02,
            external_id="Order_Number__c",
        ),
        _Load(3 * d + 14 * h, 3, "Lead", batches=2, size=300, close=False),  # left Open
        _Load(3 * d + 9 * h, 5, "Campaign", batches=1, size=40, fail=0.05, content="XML"),
        _Load(3 * d + 2 * h, 1, "Task", batches=2, size=350, fail=0.03),
        _Load(
            2 * d + 22 * h,
            3,
            "Account",
            batches=4,
            size=1000,
            fail=0.01,
            fail_job=True,
            broken="Name,Region__c\nAcme,EMEA\n",
        ),
        _Load(
            2 * d + 19 * h,
            3,
            "Contact",
            "upsert",
            batches=5,
            size=800,
            fail=0.02,
            external_id="External_Id__c",
        ),
        _Load(
            2 * d + 10 * h,
            2,
            "Contact",
            "query",
            content="JSON",
            soql="SELECT Id, FirstName, LastName, Email FROM Contact LIMIT 500",
        ),
        _Load(2 * d + 8 * h, 1, "Opportunity", "delete", batches=1, size=60, fail=0.05),
        _Load(
            2 * d + 3 * h,
            4,
            "Invoice__c",
            batches=3,
            size=500,
            fail=0.02,
            broken='Name,Amount__c\n"INV-1,12\n',
        ),
        _Load(1 * d + 23 * h, 4, "Account", batches=5, size=600, fail=0.05, v2=True),
        _Load(1 * d + 21 * h, 3, "Account", batches=6, size=900, fail=0.01),
        _Load(1 * d + 20 * h, 3, "Contact", batches=6, size=900, fail=0.02),
        _Load(1 * d + 15 * h, 5, "Lead", "hardDelete", batches=1, size=80, fail=0.0),
        _Load(1 * d + 11 * h, 1, "Product2", "update", batches=1, size=100, fail=0.02),
        _Load(1 * d + 6 * h, 2, "Case", batches=2, size=150, fail=0.1, content="JSON"),
        _Load(
            1 * d + 1 * h,
            4,
            "Shipment__c",
            batches=3,
            size=400,
            fail=0.0,
            abort_after=2 * m,
            rate=3.0,
            serial=True,
        ),
        _Load(
            20 * h,
            3,
            "Opportunity",
            "upsert",
            batches=4,
            size=600,
            fail=0.03,
            external_id="External_Id__c",
        ),
        _Load(
            14 * h,
            2,
            "Account",
            "queryAll",
            soql="SELECT Id, Name, IsDeleted FROM Account WHERE IsDeleted = true",
        ),
        _Load(9 * h, 1, "Contact", "delete", batches=1, size=120, fail=0.04),
        _Load(
            7 * h,
            3,
            "Case",
            batches=1,
            size=300,
            v2=True,
            broken="Subject,ContactId__c\nInvoice query,003000000000001\n",
        ),  # Failed: InvalidBatch : Field name not found : ContactId__c
        _Load(6 * h, 4, "Invoice__c", batches=2, size=300, fail=0.02, content="XML"),
        _Load(3 * h, 5, "Campaign", batches=1, size=25, fail=0.0),
        _Load(2 * h, 2, "Lead", batches=2, size=250, fail=0.02, v2=True, close=False),  # left Open
        _Load(90 * m, 3, "Account", batches=3, size=500, fail=0.02),
        _Load(40 * m, 2, "Lead", batches=2, size=250, fail=0.04),
        _Load(12 * m, 1, "Task", batches=1, size=200, fail=0.02, content="JSON"),
        # Running now: batches still advancing when the console opens.
        _Load(
            6 * m,
            3,
            "Contact",
            batches=12,
            size=2000,
            fail=0.01,
            rate=12.0,
            spacing=timedelta(seconds=20),
        ),
        _Load(
            4 * m,
            4,
            "Invoice__c",
            batches=10,
            size=1500,
            fail=0.03,
            climb=0.07,
            serial=True,
            rate=15.0,
        ),  # the load whose failure rate climbs
        _Load(
            2 * m,
            3,
            "Account",
            "upsert",
            batches=8,
            size=1200,
            fail=0.01,
            rate=10.0,
            external_id="External_Id__c",
            spacing=timedelta(seconds=15),
        ),
        _Load(
            50 * timedelta(seconds=1),
            0,
            "Opportunity",
            batches=3,
            size=900,
            fail=0.05,
            rate=8.0,
            close=False,
        ),
        _Load(
            20 * timedelta(seconds=1),
            2,
            "Account",
            "query",
            soql="SELECT Id, Name, BillingCity FROM Account LIMIT 2000",
        ),
        _Load(
            3 * m,
            1,
            "Contact",
            "upsert",
            batches=8,
            size=1000,
            fail=0.01,
            climb=0.05,
            rate=9.0,
            external_id="External_Id__c",
            v2=True,
        ),  # a 2.0 upsert whose failures climb as it runs
        _Load(
            70 * timedelta(seconds=1),
            4,
            "Contact",
            "query",
            soql="SELECT Id, FirstName, LastName, Email FROM Contact",
            rate=6.0,
            v2=True,
        ),  # a 2.0 query still running
    ]


class _Demo:
    def __init__(self, engine: Engine, rng: random.Random) -> None:
        self.engine = engine
        self.rng = rng
        self.users: list[UserInfo] = [engine.default_user] + [
            engine.add_user(username, name) for username, name in DEMO_USERS
        ]
        self.counter = 0

    def rows(self, load: _Load, batch: int) -> Rows:
        share = min(0.9, load.fail + load.climb * batch)
        obj = load.obj
        if load.operation in ("update", "delete", "hardDelete"):
            return self.existing_rows(load, share)
        rows = []
        for _ in range(max(1, int(load.size * SIZE_SCALE))):
            self.counter += 1
            rows.append(_row(obj, self.counter, self.rng, self.rng.random() < share))
        if load.operation == "upsert" and load.external_id == "External_Id__c":
            for r in rows[: len(rows) // 3]:  # a third of them update earlier records
                known = self.known_key(obj)
                if known:
                    r["External_Id__c"] = known
        return rows

    def known_key(self, obj_name: str) -> str | None:
        obj = find_object(obj_name)
        assert obj is not None
        live = self.engine.store.live(obj)
        if not live:
            return None
        record = live[self.rng.choice(list(live))]
        value = record.get("External_Id__c")
        return str(value) if value else None

    def existing_rows(self, load: _Load, share: float) -> Rows:
        obj = find_object(load.obj)
        assert obj is not None
        ids = list(self.engine.store.live(obj))
        self.rng.shuffle(ids)
        picked = ids[: load.size] or [f"{obj.key_prefix}5g00000BADIDAAA"]
        rows: Rows = []
        for record_id in picked:
            if self.rng.random() < share:
                record_id = record_id[:10] + "zzzzz"  # a mangled id: MALFORMED_ID
            if load.operation == "update":
                row = {"Id": record_id}
                if load.obj == "Contact":
                    row["Title"] = self.rng.choice(["VP Sales", "Head of Ops", "Analyst"])
                elif load.obj == "Product2":
                    row["Family"] = self.rng.choice(["Hardware", "Services", "Licences"])
                rows.append(row)
            else:
                rows.append({"Id": record_id})
        return rows

    def run_v2(self, load: _Load, start: datetime) -> Job:
        engine = self.engine
        user = self.users[load.user]
        version = engine.config.api_version
        engine.advance(until=start)
        if load.soql:
            fields = {"operation": load.operation, "query": load.soql}
            job = engine.v2.create_query(user, fields, version, at=start)
            job.records_per_second = load.rate
            return job
        ingest: dict[str, object] = {"object": load.obj, "operation": load.operation}
        if load.external_id:
            ingest["externalIdFieldName"] = load.external_id
        job = engine.v2.create_ingest(user, ingest, version, at=start)
        job.records_per_second = load.rate
        at = start + load.spacing
        engine.advance(until=at)
        if load.broken:
            body = load.broken.encode()
        else:  # later rows fail more often when the load's failure share climbs
            body = _csv([row for k in range(load.batches) for row in self.rows(load, k)])
        engine.v2.upload(job, body, "text/csv", at=at)
        if load.close:
            at += timedelta(seconds=1)
            engine.advance(until=at)
            engine.v2.patch(job, {"state": "UploadComplete"}, at=at)
        return job

    def run(self, load: _Load, start: datetime) -> Job | None:
        if load.v2:
            return self.run_v2(load, start)
        engine = self.engine
        user = self.users[load.user]
        fields: dict[str, object] = {
            "operation": load.operation,
            "object": load.obj,
            "contentType": load.content,
        }
        if load.serial:
            fields["concurrencyMode"] = "Serial"
        if load.external_id:
            fields["externalIdFieldName"] = load.external_id
        engine.advance(until=start)
        job = engine.create_job(user, fields, engine.config.api_version, at=start)
        job.records_per_second = load.rate
        encode, media = _ENCODERS[load.content]
        at = start
        count = 1 if load.soql else load.batches
        for k in range(count):
            at = at + load.spacing
            engine.advance(until=at)
            if load.soql:
                body = load.soql.encode()
            elif load.broken and k == count // 2:
                body = load.broken.encode()
            else:
                body = encode(self.rows(load, k))
            try:
                engine.add_batch(job, user, body, media, at=at)
            except EmulatorError:
                break
        if load.fail_job:
            engine.advance(until=at + timedelta(seconds=1))
            engine.fail_job(job, at + timedelta(seconds=1))
        elif load.abort_after is not None:
            when = start + load.abort_after
            engine.advance(until=when)
            engine.update_job(job, user, {"state": "Aborted"}, at=when)
        elif load.close:
            when = at + timedelta(seconds=1)
            engine.advance(until=when)
            engine.update_job(job, user, {"state": "Closed"}, at=when)
        return job

    def arrival(self, at: datetime) -> datetime:
        """A new job from someone, every 20-40 s (the engine calls this lazily)."""
        rng = self.rng
        obj = rng.choice(
            [
                "Account",
                "Contact",
                "Lead",
                "Case",
                "Task",
                "Invoice__c",
                "Shipment__c",
                "Opportunity",
            ]
        )
        if rng.random() < 0.2:
            load = _Load(
                timedelta(0),
                rng.randrange(len(self.users)),
                obj,
                "query",
                soql=f"SELECT Id FROM {obj} LIMIT {rng.randint(10, 500)}",
            )
        else:
            load = _Load(
                timedelta(0),
                rng.randrange(len(self.users)),
                obj,
                batches=rng.randint(1, 4),
                size=rng.randint(50, 600),
                fail=rng.choice([0.0, 0.01, 0.03, 0.08]),
                rate=rng.choice([None, 40.0, 120.0]),
                content=rng.choice(["CSV", "CSV", "XML", "JSON"]),
            )
        self.run(load, at)
        return at + timedelta(seconds=rng.uniform(20, 40))


def seed_demo(engine: Engine, rng: random.Random) -> None:
    """Fill ``engine`` with the demo org as of its clock's now, and keep new jobs coming."""
    engine.store.max_per_object = RECORDS_PER_OBJECT
    demo = _Demo(engine, rng)
    now = engine.clock.now()
    for load in sorted(_plan(), key=lambda p: p.at, reverse=True):
        demo.run(load, now - load.at)
    engine.advance()
    engine.add_ticker(now + timedelta(seconds=rng.uniform(20, 40)), demo.arrival)
