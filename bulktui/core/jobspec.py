"""What a new job needs, checked before anything is sent: the console's new-job dialog and
``bulktui create`` use the same rules, so both refuse the same input in the same words."""

from __future__ import annotations

from dataclasses import dataclass

from bulktui.api.enums import ConcurrencyMode, ContentType, Operation


@dataclass(frozen=True, slots=True)
class NewJobSpec:
    """What the new-job dialog (or ``bulktui create``) collects."""

    object: str
    operation: Operation
    content_type: ContentType = ContentType.CSV
    external_id_field_name: str | None = None
    concurrency_mode: ConcurrencyMode | None = None
