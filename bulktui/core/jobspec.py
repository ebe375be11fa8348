"""What a new job needs, checked before anything is sent: the console's new-job dialog and
``bulktui create`` use the same rules, so both refuse the same input in the same words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bulktui.api.enums import ConcurrencyMode, ContentType, Operation
from bulktui.text import cut, one_line


@dataclass(frozen=True, slots=True)
class NewJobSpec:
    """What the new-job dialog (or ``bulktui create``) collects."""

    object: str
    operation: Operation
    content_type: ContentType = ContentType.CSV
    external_id_field_name: str | None = None
    concurrency_mode: ConcurrencyMode | None = None


# sObject and field API names: a letter, then letters, digits and underscores (custom: __c).
# Salesforce allows 40 characters for a name, plus a namespace prefix (15) and "__c": 80 is
# past any real one, and keeps a pasted paragraph from going to the server.
MAX_API_NAME = 80
_API_NAME = re.compile(rf"[A-Za-z][A-Za-z0-9_]{{0,{MAX_API_NAME - 1}}}")
_ECHO = 60  # characters of a refused name said back


def _said(text: str) -> str:
    """A refused input, said back safely and briefly."""
    return repr(cut(one_line(text), _ECHO))


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
        return (
            f"object: {_said(obj)} is not an API name "
            f"(letters, digits and _, at most {MAX_API_NAME})"
        )
    op = Operation.strict(operation.strip())
    if op is None:
        return f"operation: {_said(operation)} is not {_one_of([o.value for o in Operation])}"
    ct = ContentType.strict(content_type.strip())
    if ct is None:
        types = [c.value for c in ContentType]
        return f"content type: {_said(content_type)} is not {_one_of(types)}"
    if op is Operation.UPSERT:
        if not external_id:
            return "external id field: required for upsert"
        if not _API_NAME.fullmatch(external_id):
            return f"external id field: {_said(external_id)} is not a field API name"
    elif external_id:
        return "external id field: only for upsert; leave it empty"
    mode: ConcurrencyMode | None = None
    if concurrency.strip():
        mode = ConcurrencyMode.strict(concurrency.strip())
        if mode is None:
            modes = [m.value for m in ConcurrencyMode]
            return f"concurrency mode: {_said(concurrency)} is not {_one_of(modes)}"
    return NewJobSpec(
        object=obj,
        operation=op,
        content_type=ct,
        external_id_field_name=external_id or None,
        concurrency_mode=mode,
    )
