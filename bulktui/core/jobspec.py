"""What a new job needs, checked before anything is sent: the console's new-job dialog and
``bulktui create`` use the same rules, so both refuse the same input in the same words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bulktui.api.enums import ConcurrencyMode, ContentType, Operation
from bulktui.text import one_line


@dataclass(frozen=True, slots=True)
class NewJobSpec:
    """What the new-job dialog (or ``bulktui create``) collects."""

    object: str
    operation: Operation
    content_type: ContentType = ContentType.CSV
    external_id_field_name: str | None = None
    concurrency_mode: ConcurrencyMode | None = None


# sObject and field API names: a letter, then letters, digits and underscores (custom: __c).
_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _one_of(values: list[str]) -> str:
    return ", ".join(values[:-1]) + " or " + values[-1]


def validate_new_job(
    obj: str, operation: str, content_type: str, external_id: str, concurrency: str
) -> NewJobSpec | str:
    """The spec, or one line saying which field is wrong and why (nothing is sent then).

    Names are matched in exact case, as the server does; empty ``external_id`` and
    ``concurrency`` mean "not given"."""
    obj = obj.strip()
    external_id = external_id.strip()
    if not obj:
        return "object: enter an sObject API name, e.g. Account"
    if not _API_NAME.fullmatch(obj):
        return f"object: {one_line(obj)!r} is not an API name (letters, digits and _)"
    op = Operation.strict(operation.strip())
    if op is None:
        return f"operation: {one_line(operation)!r} is not {_one_of([o.value for o in Operation])}"
    ct = ContentType.strict(content_type.strip())
    if ct is None:
        types = [c.value for c in ContentType]
        return f"content type: {one_line(content_type)!r} is not {_one_of(types)}"
    if op is Operation.UPSERT:
        if not external_id:
            return "external id field: required for upsert"
        if not _API_NAME.fullmatch(external_id):
            return f"external id field: {one_line(external_id)!r} is not a field API name"
    elif external_id:
        return "external id field: only for upsert; leave it empty"
    mode: ConcurrencyMode | None = None
    if concurrency.strip():
        mode = ConcurrencyMode.strict(concurrency.strip())
        if mode is None:
            modes = [m.value for m in ConcurrencyMode]
            return f"concurrency mode: {one_line(concurrency)!r} is not {_one_of(modes)}"
    return NewJobSpec(
        object=obj,
        operation=op,
        content_type=ct,
        external_id_field_name=external_id or None,
        concurrency_mode=mode,
    )
