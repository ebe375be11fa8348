"""Small, deterministic orgs for the console tests (emulator seed specs, wire names)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bulktui.api.wire import format_datetime_xml
from bulktui.emulator import Engine
from tests.ui.harness import T0

MARKUP = "[red]x[/red] [link=http://evil.example]click[/link]"
ESCAPES = "\x1b[31mred\x1b[0m\x07bell"


def at(minutes_ago: float) -> str:
    return format_datetime_xml(T0 - timedelta(minutes=minutes_ago))


def small_org(engine: Engine) -> list[dict[str, Any]]:
    """Six jobs in every state the table distinguishes; one other user."""
    grace = engine.add_user("grace@bulktui.example", "Grace Hopper")
    return [
        {
            "object": "Account",
            "operation": "insert",
            "state": "Open",
            "createdDate": at(2),
        },
        {
            "object": "Contact",
            "operation": "upsert",
            "externalIdFieldName": "Email",
            "state": "Closed",
            "createdDate": at(5),
            "createdById": grace.id,
            "batches": [
                {
                    "state": "Completed",
                    "numberRecordsProcessed": 10000,
                    "numberRecordsFailed": 1500,
                    "createdDate": at(5),
                    "systemModstamp": at(3),
                },
                {
                    "state": "InProgress",
                    "numberRecordsProcessed": 4000,
                    "numberRecordsFailed": 0,
                    "createdDate": at(4),
                },
                {"state": "Queued", "createdDate": at(4)},
            ],
        },
        {
            "object": "Opportunity",
            "operation": "update",
            "state": "Aborted",
            "createdDate": at(30),
            "batches": [
                {
                    "state": "NotProcessed",
                    "createdDate": at(30),
                    "stateMessage": "Job aborted",
                }
            ],
        },
        {
            "object": "Lead",
            "operation": "delete",
            "state": "Closed",
            "createdDate": at(90),
            "createdById": grace.id,
            "batches": [
                {
                    "state": "Completed",
                    "numberRecordsProcessed": 2500,
                    "createdDate": at(90),
                    "systemModstamp": at(85),
                }
            ],
        },
        {
            "object": "Account",
            "operation": "update",
            "state": "Failed",
            "createdDate": at(60 * 26),
            "batches": [
                {
                    "state": "Failed",
                    "createdDate": at(60 * 26),
                    "stateMessage": "InvalidBatch : Field name not found : Nmae",
                }
            ],
        },
        {
            "object": "Contact",
            "operation": "insert",
            "state": "Open",
            "createdDate": at(1),
            "createdById": grace.id,
        },
    ]


def hostile_org(engine: Engine) -> list[dict[str, Any]]:
    """Server text that would be markup or terminal control if shown carelessly."""
    mallory = engine.add_user("mallory@bulktui.example", "[bold]Mallory[/bold] \x1b[2J")
    return [
        {
            "object": "Account",
            "operation": "insert",
            "state": "Closed",
            "contentType": "JSON",  # XML cannot carry ESC at all; JSON brings it intact
            "createdDate": at(3),
            "createdById": mallory.id,
            "batches": [
                {"state": "Failed", "createdDate": at(3), "stateMessage": MARKUP},
                {"state": "Failed", "createdDate": at(3), "stateMessage": ESCAPES},
            ],
        }
    ]
