"""Batch payloads (CSV, XML, JSON) parsed into rows, or a batch-level failure.

Salesforce parses a batch when it starts processing, so a malformed payload does not fail the
POST: the batch turns Failed with an ``InvalidBatch : …`` stateMessage (docs/wire-facts.md §2.1).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bulktui.api.enums import ContentType
from bulktui.api.errors import ResponseFormatError
from bulktui.api.wire import load_xml

MAX_RECORDS = 10_000
NULL_MARK = "#N/A"  # CSV's way of saying "set this field to null"

Row = dict[str, str | None]  # column -> value; "" = not given, None = set to null


class BatchFailure(Exception):
    """The whole batch fails; ``state_message`` is what BatchInfo.stateMessage shows."""

    def __init__(self, state_message: str) -> None:
        super().__init__(state_message)
        self.state_message = state_message


def parse_records(body: bytes, content_type: ContentType) -> tuple[list[str], list[Row]]:
    """Column names (in first-seen order) and rows, in request order."""
    if content_type in (ContentType.CSV, ContentType.ZIP_CSV):
        columns, rows = _parse_csv(body)
    elif content_type in (ContentType.JSON, ContentType.ZIP_JSON):
        columns, rows = _parse_json(body)
    else:
        columns, rows = _parse_xml(body)
    if not rows:
        raise BatchFailure("InvalidBatch : Records not found")
    if len(rows) > MAX_RECORDS:
        raise BatchFailure(
            f"InvalidBatch : Maximum number of records exceeded: {len(rows)} > {MAX_RECORDS}"
        )
    return columns, rows


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchFailure("InvalidBatch : Failed to parse the batch: not valid UTF-8") from None


def _parse_csv(body: bytes) -> tuple[list[str], list[Row]]:
    text = _decode(body)
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        raise BatchFailure(
            "InvalidBatch : Failed to parse CSV. Found unescaped quote. "
            "A value with quote should be within a quote"
        ) from None
    table = [r for r in table if r]  # a trailing newline is not a record
    if not table:
        return [], []
    header = [h.strip() for h in table[0]]
    if any(not h for h in header):
        raise BatchFailure("InvalidBatch : Field name not found : ")
    _check_duplicates(header)
    rows: list[Row] = []
    for number, cells in enumerate(table[1:], start=2):
        if len(cells) != len(header):
            raise BatchFailure(
                f"InvalidBatch : Failed to parse CSV. Row {number} has {len(cells)} values "
                f"but the header has {len(header)} columns"
            )
        rows.append(
            {h: (None if c == NULL_MARK else c) for h, c in zip(header, cells, strict=True)}
        )
    return header, rows


def _check_duplicates(columns: list[str]) -> None:
    seen: set[str] = set()
    for c in columns:
        if c.lower() in seen:
            raise BatchFailure(f"InvalidBatch : Duplicate field name: {c}")
        seen.add(c.lower())


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):  # xmltodict: attributes (xsi:nil) or text
        if value.get("@xsi:nil") == "true" or value.get("@nil") == "true":
            return None
        return str(value.get("#text", ""))
    return str(value)


def _flatten(record: dict[str, Any], prefix: str = "") -> Row:
    """Nested relationship references ({"Account": {"External_Id__c": "A1"}}) become dotted
    columns, as Salesforce reads them."""
    out: Row = {}
    for key, value in record.items():
        if key.startswith(("@", "#")) or key == "attributes":
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not ({"@xsi:nil", "@nil", "#text"} & value.keys()):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = _scalar(value)
    return out


def _columns(rows: list[Row]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _parse_json(body: bytes) -> tuple[list[str], list[Row]]:
    try:
        data = json.loads(_decode(body))
    except ValueError as exc:
        raise BatchFailure(f"InvalidBatch : Failed to parse JSON: {exc.args[0]}") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise BatchFailure("InvalidBatch : Failed to parse JSON: expected an array of records")
    rows = [_flatten(r) for r in data]
    return _columns(rows), rows


def _parse_xml(body: bytes) -> tuple[list[str], list[Row]]:
    try:
        doc = load_xml(body)
    except ResponseFormatError as exc:
        raise BatchFailure(f"InvalidBatch : Failed to parse XML: {exc.message}") from None
    root = doc.get("sObjects")
    if not isinstance(root, dict) and root is not None:
        root = {}
    if root is None:
        raise BatchFailure(
            f"InvalidBatch : Failed to parse XML: unexpected element <{next(iter(doc))}>"
        )
    items = root.get("sObject") or []
    items = items if isinstance(items, list) else [items]
    rows = [_flatten(r) if isinstance(r, dict) else {} for r in items]
    return _columns(rows), rows
