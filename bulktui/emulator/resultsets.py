"""Query result sets (B6) in the job's format. CSV jobs get CSV here, the one place a CSV job
does not answer in XML (docs/wire-facts.md §2.4)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from bulktui.api.enums import ContentType
from bulktui.api.wire import NAMESPACE, XML_DECL
from bulktui.emulator.objects import ObjectDef


def _csv_cell(value: Any) -> str:
    return '"' + ("" if value is None else str(value)).replace('"', '""') + '"'


def result_set_csv(fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    lines = [",".join(_csv_cell(f) for f in fields)]
    lines.extend(",".join(_csv_cell(r.get(f)) for f in fields) for r in rows)
    return "\n".join(lines) + "\n"


def result_set_xml(obj: ObjectDef, fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    parts = []
    for r in rows:
        cells = "".join(
            f'<{f} xsi:nil="true"/>' if r.get(f) is None else f"<{f}>{escape(str(r[f]))}</{f}>"
            for f in fields
        )
        parts.append(f'<records xsi:type="sObject"><type>{obj.name}</type>{cells}</records>')
    return (
        f'{XML_DECL}<queryResult xmlns="{NAMESPACE}" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{"".join(parts)}</queryResult>'
    )


def typed_value(obj: ObjectDef, name: str, value: Any) -> Any:
    f = obj.field(name)
    if value is None or f is None:
        return value
    try:
        if f.kind == "number":
            return float(value)
        if f.kind == "int":
            return int(value)
    except ValueError:
        return value
    if f.kind == "boolean":
        return str(value).lower() == "true"
    return value


def result_set_json(
    obj: ObjectDef, fields: Sequence[str], rows: Sequence[dict[str, Any]], api_version: str
) -> str:
    out = []
    for r in rows:
        attributes = {"type": obj.name}
        if r.get("Id"):
            attributes["url"] = f"/services/data/v{api_version}/sobjects/{obj.name}/{r['Id']}"
        item: dict[str, Any] = {"attributes": attributes}
        item.update((f, typed_value(obj, f, r.get(f))) for f in fields)
        out.append(item)
    return json.dumps(out, separators=(",", ":"))


def render_result_set(
    content_type: ContentType,
    obj: ObjectDef,
    fields: Sequence[str],
    rows: Sequence[dict[str, Any]],
    api_version: str,
) -> tuple[str, str]:
    """Body and media type."""
    if content_type in (ContentType.CSV, ContentType.ZIP_CSV):
        return result_set_csv(fields, rows), "text/csv"
    if content_type in (ContentType.JSON, ContentType.ZIP_JSON):
        return result_set_json(obj, fields, rows, api_version), "application/json"
    return result_set_xml(obj, fields, rows), "application/xml"
