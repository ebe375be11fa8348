"""The in-memory record store that inserts fill and query jobs read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bulktui.api.ids import make_id
from bulktui.emulator.objects import ObjectDef

Record = dict[str, Any]  # canonical field name -> text value (None for null)


class RecordStore:
    """Every record of the org, by object. ``max_per_object`` (None: no limit, as in
    Salesforce) keeps only that many live records of an object, the oldest going first: the
    demo org sets it, or its background loads would keep adding about a gigabyte a day."""

    def __init__(self, pod: str = "5g", *, max_per_object: int | None = None) -> None:
        self._pod = pod
        self.max_per_object = max_per_object
        self._counter = 5_000_000
        self._live: dict[str, dict[str, Record]] = {}
        self._deleted: dict[str, dict[str, Record]] = {}  # the recycle bin (queryAll sees it)
        self._gone: set[str] = set()  # hard-deleted or emptied from the bin

    def new_id(self, obj: ObjectDef) -> str:
        self._counter += 1
        return make_id(obj.key_prefix, self._pod, self._counter)

    def live(self, obj: ObjectDef) -> dict[str, Record]:
        return self._live.setdefault(obj.name, {})

    def get(self, obj: ObjectDef, record_id: str) -> Record | None:
        return self._live.get(obj.name, {}).get(record_id)

    def was_deleted(self, obj: ObjectDef, record_id: str) -> bool:
        return record_id in self._deleted.get(obj.name, {}) or record_id in self._gone

    def put(self, obj: ObjectDef, record: Record) -> None:
        live = self.live(obj)
        live[record["Id"]] = record
        limit = self.max_per_object
        while limit is not None and len(live) > limit:
            del live[next(iter(live))]  # dicts keep insertion order: the oldest record

    def delete(self, obj: ObjectDef, record_id: str, *, hard: bool = False) -> None:
        record = self.live(obj).pop(record_id, None)
        if record is None:
            return
        if hard:
            self._gone.add(record_id)
        else:
            record["IsDeleted"] = "true"
            self._deleted.setdefault(obj.name, {})[record_id] = record

    def rows(self, obj: ObjectDef, *, include_deleted: bool = False) -> Iterator[Record]:
        yield from self._live.get(obj.name, {}).values()
        if include_deleted:
            yield from self._deleted.get(obj.name, {}).values()

    def count(self, obj: ObjectDef) -> int:
        return len(self._live.get(obj.name, {}))

    def counts(self) -> dict[str, int]:
        """Live records of every object, by object name."""
        return {name: len(records) for name, records in self._live.items()}
