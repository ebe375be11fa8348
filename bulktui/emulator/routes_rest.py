"""The REST calls real clients make before (or besides) Bulk work: the version list, the
resource directory, a record by id (``sobjects/User/{id}``), ``describe`` for the emulated
objects, and SOQL ``query`` / ``queryAll`` with 2,000-row pages and ``columns=true``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bulktui.api import ids
from bulktui.emulator import soql
from bulktui.emulator.engine import POD, Engine, UserInfo
from bulktui.emulator.objects import OBJECTS, FieldDef, ObjectDef, find_object, object_for_prefix
from bulktui.emulator.responses import json_value
from bulktui.emulator.rest_common import PREFIX, DataHandler, rest_endpoint
from bulktui.emulator.resultsets import typed_value
from bulktui.emulator.state import EmulatorError

_SEASONS = ("Summer", "Winter", "Spring")  # API 31.0 was Summer '14; three releases a year
_CURSOR_CAP = 1000
_NOT_FOUND = ("NOT_FOUND", "The requested resource does not exist", 404)
_DESCRIBE_TYPES = {"number": "double", "int": "int"}
_APEX_TYPES = {
    "id": "Id",
    "reference": "Id",
    "number": "Double",
    "int": "Integer",
    "date": "Date",
    "datetime": "Datetime",
    "boolean": "Boolean",
}


def release_label(version: float) -> str:
    k = round(version) - 31
    return f"{_SEASONS[k % 3]} '{14 + (k + 2) // 3:02d}"


class RestRoutes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cursors: dict[str, tuple[soql.Query, list[dict[str, Any]]]] = {}
        self._cursor_counter = 3_000_000

    def routes(self) -> list[Route]:
        table: list[tuple[str, DataHandler]] = [
            ("", self.resources),
            ("/sobjects", self.global_describe),
            ("/sobjects/{object}/describe", self.describe),
            ("/sobjects/{object}/{recordId}", self.record),
            ("/query", self.query),
            ("/queryAll", self.query_all),
            ("/query/{cursor}", self.query_more),
            ("/queryAll/{cursor}", self.query_more),
        ]
        routes = [Route("/services/data", self.versions, methods=["GET"])]
        routes.append(Route("/services/data/", self.versions, methods=["GET"]))
        for path, handler in table:
            endpoint = rest_endpoint(self.engine, PREFIX + path, {"GET": handler})
            for variant in (path, path + "/"):
                routes.append(Route(PREFIX + variant, endpoint, methods=["GET"]))
        return routes

    # ------------------------------------------------------------------ directory

    async def versions(self, request: Request) -> Response:
        """Public, as on a real org: no session needed to learn the versions."""
        self.engine.stats["GET /services/data"] += 1
        cfg = self.engine.config
        out = []
        version = cfg.min_api_version
        while version <= cfg.max_api_version:
            text = f"{version:.1f}"
            out.append(
                {"label": release_label(version), "url": f"/services/data/v{text}", "version": text}
            )
            version += 1.0
        return json_value(out)

    async def resources(self, request: Request, user: UserInfo, version: str) -> Response:
        base = f"/services/data/v{version}"
        names = ["jobs", "limits", "query", "queryAll", "sobjects", "search", "composite"]
        out: dict[str, str] = {name: f"{base}/{name}" for name in names}
        host = str(request.base_url).rstrip("/")
        out["identity"] = f"{host}/id/{self.engine.org_id}/{user.id}"
        return json_value(dict(sorted(out.items())))

    # ------------------------------------------------------------------ sObjects

    def _object(self, request: Request) -> ObjectDef:
        obj = find_object(request.path_params["object"])
        if obj is None:
            name = request.path_params["object"][:80]
            raise EmulatorError("NOT_FOUND", f"The requested resource does not exist: {name}", 404)
        return obj

    async def global_describe(self, request: Request, user: UserInfo, version: str) -> Response:
        objs = [_object_summary(o, version) for o in sorted(OBJECTS.values(), key=lambda o: o.name)]
        return json_value({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objs})

    async def describe(self, request: Request, user: UserInfo, version: str) -> Response:
        obj = self._object(request)
        body = _object_summary(obj, version)
        body["fields"] = [_field(f) for f in obj.fields.values()]
        return json_value(body)

    async def record(self, request: Request, user: UserInfo, version: str) -> Response:
        obj = self._object(request)
        raw_id = request.path_params["recordId"]
        if not ids.is_valid(raw_id) or object_for_prefix(raw_id[:3]) is not obj:
            raise EmulatorError(*_NOT_FOUND)
        record = self.engine.store.get(obj, ids.to18(raw_id))
        if record is None:
            raise EmulatorError(*_NOT_FOUND)
        wanted = request.query_params.get("fields")
        names = (
            [obj.field(n).name for n in wanted.split(",") if obj.field(n)]  # type: ignore[union-attr]
            if wanted
            else [f.name for f in obj.fields.values()]
        )
        out: dict[str, Any] = {
            "attributes": {
                "type": obj.name,
                "url": f"/services/data/v{version}/sobjects/{obj.name}/{record['Id']}",
            }
        }
        out.update((n, typed_value(obj, n, record.get(n))) for n in names)
        return json_value(out)

    # ------------------------------------------------------------------ SOQL

    async def query(self, request: Request, user: UserInfo, version: str) -> Response:
        return self._query(request, version, include_deleted=False)

    async def query_all(self, request: Request, user: UserInfo, version: str) -> Response:
        return self._query(request, version, include_deleted=True)

    def _query(self, request: Request, version: str, *, include_deleted: bool) -> Response:
        text = request.query_params.get("q", "")
        try:
            parsed = soql.parse(text)
        except soql.SoqlError as exc:
            raise EmulatorError(exc.code, str(exc).split(": ", 1)[1], 400) from None
        if request.query_params.get("columns", "").lower() == "true":
            return json_value(_columns(parsed))
        store_rows = self.engine.store.rows(parsed.obj, include_deleted=include_deleted)
        rows = soql.project(parsed, parsed.run(store_rows))
        return self._page(parsed, rows, 0, version, "queryAll" if include_deleted else "query")

    async def query_more(self, request: Request, user: UserInfo, version: str) -> Response:
        token = request.path_params["cursor"]
        key, _, offset_text = token.rpartition("-")
        found = self._cursors.get(key)
        if found is None or not offset_text.isdigit():
            raise EmulatorError("INVALID_QUERY_LOCATOR", "invalid query locator", 400)
        resource = request.url.path.split("/")[4]
        return self._page(found[0], found[1], int(offset_text), version, resource, key)

    def _page(
        self,
        parsed: soql.Query,
        rows: list[dict[str, Any]],
        offset: int,
        version: str,
        resource: str,
        key: str | None = None,
    ) -> Response:
        size = self.engine.config.rest_query_page_size
        page = rows[offset : offset + size]
        done = offset + len(page) >= len(rows)
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": done,
            "records": [_record_json(parsed.obj, r, version) for r in page],
        }
        if not done:
            if key is None:
                key = self._new_cursor(parsed, rows)
            body["nextRecordsUrl"] = (
                f"/services/data/v{version}/{resource}/{key}-{offset + len(page)}"
            )
        return json_value(body)

    def _new_cursor(self, parsed: soql.Query, rows: list[dict[str, Any]]) -> str:
        self._cursor_counter += 1
        key = ids.make_id("01g", POD, self._cursor_counter)
        if len(self._cursors) >= _CURSOR_CAP:  # server cursors expire; the oldest goes first
            del self._cursors[next(iter(self._cursors))]
        self._cursors[key] = (parsed, rows)
        return key


def _record_json(obj: ObjectDef, row: dict[str, Any], version: str) -> dict[str, Any]:
    item: dict[str, Any] = {"attributes": {"type": obj.name}}
    if row.get("Id"):
        item["attributes"]["url"] = f"/services/data/v{version}/sobjects/{obj.name}/{row['Id']}"
    item.update((k, typed_value(obj, k, v)) for k, v in row.items())
    return item


def _object_summary(obj: ObjectDef, version: str) -> dict[str, Any]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {
        "name": obj.name,
        "label": obj.label,
        "labelPlural": obj.label + "s",
        "keyPrefix": obj.key_prefix,
        "custom": obj.name.endswith("__c"),
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }


def _field(f: FieldDef) -> dict[str, Any]:
    return {
        "name": f.name,
        "label": f.name.removesuffix("__c").replace("_", " "),
        "type": _DESCRIBE_TYPES.get(f.kind, f.kind),
        "length": f.length if f.kind not in _APEX_TYPES or f.kind in ("id",) else 0,
        "custom": f.name.endswith("__c"),
        "createable": f.createable,
        "updateable": f.updateable,
        "nillable": not f.required and f.name != "Id",
        "defaultedOnCreate": f.default is not None or not f.createable,
        "externalId": f.external_id and f.name != "Id",
        "idLookup": f.external_id,
        "unique": False,
        "referenceTo": [o.name for o in OBJECTS.values() if o.key_prefix == f.refers_to],
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "value": v} for v in f.picklist
        ],
        "restrictedPicklist": bool(f.picklist),
        "soapType": "tns:ID" if f.kind in ("id", "reference") else "xsd:string",
    }


def _columns(parsed: soql.Query) -> dict[str, Any]:
    """``columns=true``: the query's column metadata instead of its rows."""
    out = []
    for name in parsed.fields:
        f = parsed.obj.field(name)
        kind = f.kind if f else "string"
        out.append(
            {
                "aggregate": False,
                "apexType": _APEX_TYPES.get(kind, "String"),
                "booleanType": kind == "boolean",
                "columnName": name,
                "custom": name.endswith("__c"),
                "displayName": name,
                "foreignKeyName": None,
                "insertable": bool(f and f.createable),
                "joinColumns": [],
                "numberType": kind in ("number", "int"),
                "textType": kind not in ("number", "int", "boolean", "date", "datetime"),
                "updatable": bool(f and f.updateable),
            }
        )
    return {
        "columnMetadata": out,
        "entityName": parsed.obj.name,
        "groupBy": False,
        "idSelected": "Id" in parsed.fields,
        "keyPrefix": parsed.obj.key_prefix,
    }
