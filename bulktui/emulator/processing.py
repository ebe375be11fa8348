"""What a batch does to the org: per-record DML outcomes and query result sets.

``run_batch`` decides every record's fate when the batch starts (in request-row order) and
returns the store changes to apply when it finishes, so a poller sees counters grow while the
batch is InProgress and queries see the records once the load is done.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bulktui.api import ids
from bulktui.api.enums import ContentType, Operation
from bulktui.api.models import RecordError, RecordResult
from bulktui.api.wire import format_datetime_json
from bulktui.emulator import soql
from bulktui.emulator.objects import FieldDef, ObjectDef, object_for_prefix
from bulktui.emulator.payload import BatchFailure, Row, parse_records
from bulktui.emulator.store import Record, RecordStore

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}
_XSD = {
    "number": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "boolean": "xsd:boolean",
}


@dataclass(slots=True)
class Outcome:
    """The result of running one batch."""

    records: int = 0
    results: list[RecordResult] = field(default_factory=list)
    failed_rows: list[int] = field(default_factory=list)  # sorted row indices
    effects: list[Callable[[], None]] = field(default_factory=list)
    query_rows: list[dict[str, Any]] | None = None
    query_fields: tuple[str, ...] = ()
    failure: str | None = None  # batch-level stateMessage

    def apply(self) -> None:
        for effect in self.effects:
            effect()
        self.effects.clear()


@dataclass(frozen=True, slots=True)
class BatchContext:
    obj: ObjectDef
    operation: Operation
    external_id: str | None
    content_type: ContentType
    user_id: str
    now: datetime

    @property
    def stamp(self) -> str:
        return _stamp(self.now)


@functools.lru_cache(maxsize=64)
def _stamp(now: datetime) -> str:
    return format_datetime_json(now)


def run_batch(ctx: BatchContext, body: bytes, store: RecordStore) -> Outcome:
    try:
        if ctx.operation.is_query:
            return _run_query(ctx, body, store)
        columns, rows = parse_records(body, ctx.content_type)
        return _run_dml(ctx, columns, rows, store)
    except BatchFailure as exc:
        return Outcome(failure=exc.state_message)


# --------------------------------------------------------------------------- query


def _run_query(ctx: BatchContext, body: bytes, store: RecordStore) -> Outcome:
    text = body.decode("utf-8", "replace").strip()
    if not text:
        raise BatchFailure("InvalidBatch : Failed to process query: MALFORMED_QUERY: empty query")
    try:
        query = soql.parse(text)
    except soql.SoqlError as exc:
        raise BatchFailure(f"InvalidBatch : Failed to process query: {exc}") from None
    rows = query.run(store.rows(query.obj, include_deleted=ctx.operation is Operation.QUERY_ALL))
    projected = soql.project(query, rows)
    return Outcome(records=len(projected), query_rows=projected, query_fields=query.fields)


# --------------------------------------------------------------------------- DML


def _check_columns(ctx: BatchContext, columns: list[str]) -> None:
    if ctx.operation in (Operation.DELETE, Operation.HARD_DELETE):
        if [c.lower() for c in columns] != ["id"]:
            raise BatchFailure(
                f"InvalidBatch : The '{ctx.operation.value}' batch must contain only ids"
            )
        return
    for column in columns:
        if "." in column:
            continue  # a relationship by external id (Account.External_Id__c)
        if ctx.obj.field(column) is None:
            raise BatchFailure(f"InvalidBatch : Field name not found : {column}")
    if ctx.operation is Operation.UPSERT:
        ext = ctx.obj.field(ctx.external_id or "")
        if ext is None or not ext.external_id:
            raise BatchFailure(
                f"InvalidBatch : Field name provided, {ctx.external_id} is not an External ID "
                f"or indexed field for {ctx.obj.name}"
            )


def _run_dml(ctx: BatchContext, columns: list[str], rows: list[Row], store: RecordStore) -> Outcome:
    _check_columns(ctx, columns)
    out = Outcome(records=len(rows))
    handler = {
        Operation.INSERT: _insert,
        Operation.UPDATE: _update,
        Operation.UPSERT: _upsert,
        Operation.DELETE: _delete,
        Operation.HARD_DELETE: _delete,
    }[ctx.operation]
    seen: dict[str, int] = {}
    index = _external_index(ctx, store) if ctx.operation is Operation.UPSERT else {}
    for i, row in enumerate(rows):
        result = handler(ctx, row, store, out, seen, index)
        out.results.append(result)
        if not result.success:
            out.failed_rows.append(i)
    return out


def _error(code: str, message: str, *fields: str) -> RecordResult:
    return RecordResult(None, False, False, (RecordError(code, message, tuple(fields)),))


def _label(prefix: str | None) -> str:
    obj = object_for_prefix(prefix) if prefix else None
    return obj.label if obj else "Record"


def _check_value(f: FieldDef, value: str) -> RecordResult | None:
    """A value the field cannot hold, as Salesforce reports it."""
    kind = f.kind
    if kind in _XSD and not _valid_typed(kind, value):
        return _error(
            "INVALID_FIELD",
            f"Failed to deserialize field {f.name}. Due to, '{value}' is not a valid value "
            f"for the type {_XSD[kind]}",
            f.name,
        )
    if kind == "email" and not _EMAIL.fullmatch(value):
        return _error("INVALID_EMAIL_ADDRESS", f"{f.name}: invalid email address: {value}", f.name)
    if kind in ("reference", "id") and (
        not ids.is_valid(value) or (f.refers_to and not value.startswith(f.refers_to))
    ):
        label = _label(f.refers_to or value[:3])
        return _error("MALFORMED_ID", f"{label} ID: id value of incorrect type: {value}", f.name)
    if f.picklist and value not in f.picklist:
        return _error(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{f.name}: bad value for restricted picklist field: {value}",
            f.name,
        )
    if len(value) > f.length:
        return _error(
            "STRING_TOO_LONG",
            f"{f.name}: data value too large: {value[:40]} (max length={f.length})",
            f.name,
        )
    return None


def _valid_typed(kind: str, value: str) -> bool:
    try:
        if kind == "number":
            float(value)
        elif kind == "int":
            int(value)
        elif kind == "date":
            date.fromisoformat(value)
        elif kind == "datetime":
            datetime.fromisoformat(value)
        elif kind == "boolean":
            return value.lower() in _TRUE | _FALSE
    except ValueError:
        return False
    return True


def _normalise(f: FieldDef, value: str) -> str:
    if f.kind == "boolean":
        return "true" if value.lower() in _TRUE else "false"
    return value


def _changes(
    ctx: BatchContext, row: Row, *, creating: bool
) -> tuple[dict[str, str | None], RecordResult | None]:
    """Validated field changes of one row: blank cells are ignored, #N/A / null clears."""
    changes: dict[str, str | None] = {}
    for column, value in row.items():
        if "." in column or column.lower() == "id":
            continue
        f = ctx.obj.field(column)
        if f is None:
            continue
        if value == "":
            continue
        allowed = f.createable if creating else f.updateable
        if not allowed:
            return changes, _error(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {f.name}. Please check the security settings "
                "of this field and verify that it is read/write for your profile or "
                "permission set.",
                f.name,
            )
        if value is None:
            if f.required:
                return changes, _missing([f])
            changes[f.name] = None
            continue
        problem = _check_value(f, value)
        if problem:
            return changes, problem
        changes[f.name] = _normalise(f, value)
    return changes, None


def _missing(fields: list[FieldDef]) -> RecordResult:
    names = [f.name for f in fields]
    return _error(
        "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(names)}]", *names
    )


def _new_record(ctx: BatchContext, store: RecordStore, changes: dict[str, str | None]) -> Record:
    stamp = ctx.stamp
    record: Record = {
        "Id": store.new_id(ctx.obj),
        "IsDeleted": "false",
        "CreatedDate": stamp,
        "CreatedById": ctx.user_id,
        "LastModifiedDate": stamp,
        "LastModifiedById": ctx.user_id,
        "SystemModstamp": stamp,
    }
    if ctx.obj.field("OwnerId"):
        record["OwnerId"] = ctx.user_id
    for f in ctx.obj.fields.values():
        if f.default is not None:
            record[f.name] = f.default
    record.update(changes)
    if ctx.obj.name == "User" and "Name" not in changes:
        record["Name"] = " ".join(x for x in (record.get("FirstName"), record.get("LastName")) if x)
    return record


def _create(ctx: BatchContext, row: Row, store: RecordStore, out: Outcome) -> RecordResult:
    if row.get("Id") or row.get("id"):
        return _error(
            "INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", "Id"
        )
    changes, problem = _changes(ctx, row, creating=True)
    if problem:
        return problem
    missing = [f for f in ctx.obj.required if changes.get(f.name) in (None, "") and not f.default]
    if missing:
        return _missing(missing)
    record = _new_record(ctx, store, changes)
    out.effects.append(lambda: store.put(ctx.obj, record))
    return RecordResult(record["Id"], True, True)


def _insert(
    ctx: BatchContext,
    row: Row,
    store: RecordStore,
    out: Outcome,
    seen: dict[str, int],
    index: dict[str, list[str]],
) -> RecordResult:
    return _create(ctx, row, store, out)


def _target(ctx: BatchContext, row: Row, store: RecordStore) -> tuple[str, RecordResult | None]:
    """The record id a row names, or the error Salesforce gives for it."""
    raw = (row.get("Id") if "Id" in row else row.get("id")) or ""
    raw = raw.strip()
    if not raw:
        verb = ctx.operation.value
        return raw, _error("MISSING_ARGUMENT", f"Id not specified in an {verb} call")
    if not ids.is_valid(raw) or not raw.startswith(ctx.obj.key_prefix):
        return raw, _error(
            "MALFORMED_ID", f"{ctx.obj.label} ID: id value of incorrect type: {raw}", "Id"
        )
    record_id = ids.to18(raw)
    if store.get(ctx.obj, record_id) is None:
        if store.was_deleted(ctx.obj, record_id):
            return record_id, _error("ENTITY_IS_DELETED", "entity is deleted")
        return record_id, _error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    return record_id, None


def _modify(
    ctx: BatchContext, record_id: str, row: Row, store: RecordStore, out: Outcome
) -> RecordResult:
    changes, problem = _changes(ctx, row, creating=False)
    if problem:
        return problem
    stamp = ctx.stamp
    changes.update(LastModifiedDate=stamp, SystemModstamp=stamp, LastModifiedById=ctx.user_id)

    def apply() -> None:
        record = store.get(ctx.obj, record_id)
        if record is not None:
            record.update(changes)

    out.effects.append(apply)
    return RecordResult(record_id, True, False)


def _claim_target(
    ctx: BatchContext, row: Row, store: RecordStore, seen: dict[str, int]
) -> tuple[str, RecordResult | None]:
    """The record a row's Id names, refusing a second row with the same Id in one batch."""
    record_id, problem = _target(ctx, row, store)
    if problem:
        return record_id, problem
    if record_id in seen:
        return record_id, _error("DUPLICATE_VALUE", f"Duplicate id in list: {record_id}")
    seen[record_id] = 1
    return record_id, None


def _update(
    ctx: BatchContext,
    row: Row,
    store: RecordStore,
    out: Outcome,
    seen: dict[str, int],
    index: dict[str, list[str]],
) -> RecordResult:
    record_id, problem = _claim_target(ctx, row, store, seen)
    if problem:
        return problem
    return _modify(ctx, record_id, row, store, out)


def _external_index(ctx: BatchContext, store: RecordStore) -> dict[str, list[str]]:
    f = ctx.obj.field(ctx.external_id or "")
    if f is None or f.name == "Id":
        return {}
    index: dict[str, list[str]] = {}
    for record in store.rows(ctx.obj):
        value = record.get(f.name)
        if value:
            index.setdefault(str(value).lower(), []).append(record["Id"])
    return index


def _upsert(
    ctx: BatchContext,
    row: Row,
    store: RecordStore,
    out: Outcome,
    seen: dict[str, int],
    index: dict[str, list[str]],
) -> RecordResult:
    f = ctx.obj.field(ctx.external_id or "")
    assert f is not None
    if f.name == "Id":
        if not (row.get("Id") or "").strip():
            return _create(ctx, row, store, out)
        record_id, problem = _target(ctx, row, store)
        return problem or _modify(ctx, record_id, row, store, out)
    value = next((v for k, v in row.items() if k.lower() == f.name.lower()), None)
    if not value:
        return _error("MISSING_ARGUMENT", f"{f.name} not specified")
    key = value.lower()
    if key in seen:
        return _error("DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {value}", f.name)
    seen[key] = 1
    matches = index.get(key, [])
    if len(matches) > 1:
        return _error(
            "DUPLICATE_EXTERNAL_ID",
            f"{f.name}: more than one record found for external id field: [{', '.join(matches)}]",
            f.name,
        )
    if matches:
        return _modify(ctx, matches[0], row, store, out)
    return _create(ctx, row, store, out)


def _delete(
    ctx: BatchContext,
    row: Row,
    store: RecordStore,
    out: Outcome,
    seen: dict[str, int],
    index: dict[str, list[str]],
) -> RecordResult:
    record_id, problem = _claim_target(ctx, row, store, seen)
    if problem:
        return problem
    hard = ctx.operation is Operation.HARD_DELETE
    out.effects.append(lambda: store.delete(ctx.obj, record_id, hard=hard))
    return RecordResult(record_id, True, False)
