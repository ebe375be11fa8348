"""The Bulk API wire format: parse and write JobInfo, BatchInfo, errors, results, job lists.

One module serves both sides: the client parses what the emulator writes, and the emulator
writes in the exact layout real servers use (docs/wire-facts.md §1-§3, §5), so a test that
round-trips through both is a test of fidelity too.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal
from xml.parsers import expat
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import escape as _sax_escape

import xmltodict

from bulktui.api.errors import (
    ApiError,
    InvalidSessionError,
    QuotaExceededError,
    ResponseFormatError,
)
from bulktui.api.ids import InvalidIdError, normalize_id
from bulktui.api.models import (
    BATCH_FIELDS,
    JOB_FIELDS,
    JOB_XML_FIELD_COUNT,
    BatchInfo,
    JobInfo,
    JobListPage,
    RecordError,
    RecordResult,
    WireField,
)
from bulktui.text import cut

log = logging.getLogger("bulktui.api")

NAMESPACE = "http://www.force.com/2009/06/asyncapi/dataload"
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>'
MAX_BODY_BYTES = 64 * 1024 * 1024

Format = Literal["xml", "json"]

# Characters XML 1.0 cannot carry even escaped (C0 controls but tab/LF/CR, surrogates, FFFE/F).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """Text for an XML element: markup escaped, and characters XML cannot hold replaced by
    U+FFFD, so text with an ESC in it still makes a well-formed document."""
    return _XML_INVALID.sub("\ufffd", _sax_escape(text))


# --------------------------------------------------------------------------- format detection


def detect_format(content_type: str | None, body: bytes) -> Format:
    """Which parser a response body needs; HTML (the maintenance page) is an error, not XML."""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    head = body[:256].lstrip().lower()
    if ctype == "text/html" or head.startswith((b"<!doctype html", b"<html")):
        raise ResponseFormatError(
            "the server sent an HTML page instead of API data (Salesforce maintenance or a proxy)"
        )
    if ctype.endswith("json"):
        return "json"
    if ctype.endswith("xml"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"<"):
        return "xml"
    raise ResponseFormatError(f"unexpected response content type {ctype or 'none'!r}")


def _check_size(body: bytes | str) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise ResponseFormatError(
            f"response body of {len(body):,} bytes is over the {MAX_BODY_BYTES:,}-byte cap"
        )


class _Stop(Exception):
    """Raised from an expat handler to end the prolog scan."""

    def __init__(self, dtd: bool) -> None:
        super().__init__()
        self.dtd = dtd


def _stop_dtd(*_: Any) -> None:
    raise _Stop(dtd=True)


def _stop_root(*_: Any) -> None:
    raise _Stop(dtd=False)


def refuse_dtd(raw: bytes) -> None:
    """The one XML guard: refuse a document type or entity declaration, whatever the
    document's encoding (UTF-16 with or without a BOM, a declared encoding). Salesforce never
    sends a DTD; one in a response can only be an attack (billion laughs, external entities).

    A DTD can only come before the root element, so expat (which detects the encoding as the
    real parse will) reads just the prolog and stops at the root's start tag."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _stop_dtd
    parser.EntityDeclHandler = _stop_dtd
    parser.StartElementHandler = _stop_root
    try:
        for start in range(0, len(raw), 4096):
            parser.Parse(raw[start : start + 4096], False)
        parser.Parse(b"", True)
    except _Stop as stop:
        if stop.dtd:
            raise ResponseFormatError("XML with a DTD or entity declaration is refused") from None
        return
    except ExpatError as exc:
        raise ResponseFormatError(f"malformed XML: {exc}") from None
    raise ResponseFormatError("malformed XML: no root element")


def parse_xml_element(body: bytes) -> ET.Element:
    """An ElementTree of a capped, guarded document (the SOAP login answer uses this)."""
    _check_size(body)
    refuse_dtd(body)
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise ResponseFormatError(f"malformed XML: {exc}") from None


def load_xml(body: bytes | str) -> dict[str, Any]:
    """Parse XML, refusing DTDs outright: Salesforce never sends one, and entity expansion
    (billion laughs, external entities) is the attack they carry."""
    _check_size(body)
    raw = body.encode() if isinstance(body, str) else body
    refuse_dtd(raw)
    try:
        parsed = xmltodict.parse(raw, disable_entities=True)
    except ExpatError as exc:
        raise ResponseFormatError(f"malformed XML: {exc}") from None
    except ValueError:
        # disable_entities: a second line of defence behind refuse_dtd.
        raise ResponseFormatError("XML with a DTD or entity declaration is refused") from None
    if not isinstance(parsed, dict):
        raise ResponseFormatError("malformed XML: no root element")
    return parsed


def load_json(body: bytes | str) -> Any:
    """Parse JSON. Integers too long to be a counter become ``inf`` (refused later by the
    field that holds one, not by the whole document), and nesting deeper than
    ``MAX_JSON_DEPTH`` is replaced by ``TOO_DEEP`` so one hostile value cannot fail a page."""
    _check_size(body)
    try:
        return json.loads(body, parse_int=_json_int)
    except RecursionError:
        pass
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResponseFormatError(f"malformed JSON: {exc}") from None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        return json.loads(_cut_deep_json(text, MAX_JSON_DEPTH), parse_int=_json_int)
    except (ValueError, RecursionError) as exc:
        raise ResponseFormatError(f"malformed JSON: {str(exc)[:200]}") from None


MAX_JSON_DEPTH = 64  # a Bulk API document is at most 5 levels deep
TOO_DEEP = "<nested too deep>"
_INT_DIGITS = 30  # JSON integers longer than this are never a value we accept


def _json_int(text: str) -> int | float:
    # int() of a 5,000-digit string raises (CPython's digit limit) and would fail the page.
    return int(text) if len(text) <= _INT_DIGITS else math.inf


def _cut_deep_json(text: str, limit: int) -> str:
    """``text`` with every array or object deeper than ``limit`` replaced by the TOO_DEEP
    string. Only called when the C parser ran out of stack, so speed does not matter."""
    out: list[str] = []
    depth = 0
    skip_from: int | None = None  # depth at which the current cut began
    in_string = escaped = False
    for ch in text:
        if in_string:
            if skip_from is None:
                out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
            if skip_from is None:
                out.append(ch)
            continue
        if ch in "[{":
            depth += 1
            if skip_from is None and depth > limit:
                skip_from = depth
                out.append(json.dumps(TOO_DEEP))
                continue
        elif ch in "]}":
            depth -= 1
            if skip_from is not None and depth < skip_from:
                skip_from = None
                continue
        if skip_from is None:
            out.append(ch)
    return "".join(out)


def _xml_root(body: bytes | str, *names: str) -> Mapping[str, Any]:
    doc = load_xml(body)
    for name in names:
        if name in doc:
            root = doc[name]
            return root if isinstance(root, dict) else {}
    raise ResponseFormatError(f"expected XML <{names[0]}>, got <{next(iter(doc), '?')}>")


# --------------------------------------------------------------------------- values


# The safe ranges below are documented in docs/wire-facts.md §11.
MAX_COUNTER = 999_999_999_999  # counts and milliseconds: a trillion is far past any real job
MAX_ERROR_MESSAGE = 1_000  # characters of a server's error message kept (then "…")
MAX_ERROR_CODE = 100
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
_COUNTER_TEXT = re.compile(r"[0-9]{1,30}", re.ASCII)
_VERSION_TEXT = re.compile(r"[vV]?[0-9xX]{1,4}(?:\.[0-9xX]{1,3})?", re.ASCII)
_MAX_DATE_TEXT = 40


def parse_datetime(value: str) -> datetime:
    """Salesforce dates: ``…000Z`` (XML) or ``…000+0000`` (JSON), between EARLIEST_DATE and
    LATEST_DATE (a year-9999 date overflows the first sum a view makes with it)."""
    if len(value) > _MAX_DATE_TEXT:
        raise ValueError("not a date")
    dt = datetime.fromisoformat(value)
    dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    if not EARLIEST_DATE <= dt <= LATEST_DATE:
        raise ValueError(f"a date outside {EARLIEST_DATE:%Y}-{LATEST_DATE:%Y}")
    return dt


def parse_counter(value: Any) -> int:
    """A count or a duration in ms: a whole number from 0 to MAX_COUNTER, else ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError("not a whole number")
        number = int(value)
    elif isinstance(value, str) and _COUNTER_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise ValueError("not a whole number")
    if not 0 <= number <= MAX_COUNTER:
        raise ValueError(f"outside 0 to {MAX_COUNTER:,}")
    return number


def parse_version(value: Any) -> str:
    """apiVersion as text: a number 1-999 (JSON) or short version text ("64.0", or "vxx.0"
    in scrubbed recordings)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not (math.isfinite(value) and 0 < value < 1000):
            raise ValueError("not an API version")
        return repr(float(value))
    if isinstance(value, str) and _VERSION_TEXT.fullmatch(value):
        return value
    raise ValueError("not an API version")


def _scalar_text(value: Any) -> str:
    """Text of a scalar the server sent; never the text of a container (which could be
    100,000 levels deep) and never of a number too long to print."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and -(10**_INT_DIGITS) < value < 10**_INT_DIGITS:
        return str(value)
    raise ValueError("not text")


def format_datetime_xml(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def format_datetime_json(value: datetime) -> str:
    return format_datetime_xml(value)[:-1] + "+0000"


def _text(value: Any) -> Any:
    """xmltodict gives an element with attributes as a dict; ``xsi:nil`` means null."""
    if isinstance(value, dict):
        if value.get("@xsi:nil") == "true" or value.get("@nil") == "true":
            return None
        return value.get("#text", value)
    return value


Converter = Callable[[Any], Any]


def _enum_converter(kind: type[Enum]) -> Converter:
    members = kind._value2member_map_

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            member = members.get(value)
            if member is not None:
                return member
        return kind(_scalar_text(value))  # tolerant enums make an unknown member

    return convert


def _loose_text(value: Any) -> str:
    """Text of a scalar, or "" for anything else (error bodies, result rows: best effort)."""
    if value is None:
        return ""
    try:
        return _scalar_text(_text(value))
    except ValueError:
        return ""


def _bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _converter(f: WireField) -> Converter:
    """The conversion for one field, chosen once instead of per value (the job-list hot path).
    Every converter raises ValueError for a value out of its range."""
    kind = f.kind
    if kind == "str":
        return _scalar_text
    if kind == "int":
        return parse_counter
    if kind == "datetime":
        return lambda v: parse_datetime(v if isinstance(v, str) else _scalar_text(v))
    if kind == "bool":
        return _bool
    if kind == "version":
        return parse_version
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _enum_converter(kind)
    raise AssertionError(f"unknown field kind {kind!r}")


def _preview(value: Any) -> str:
    try:
        return repr(_scalar_text(value)[:40])
    except ValueError:
        return f"a {type(value).__name__}" if not isinstance(value, int) else "a huge number"


def _bad_value(f: WireField, value: Any) -> ResponseFormatError:
    return ResponseFormatError(f"bad value for {f.wire}: {_preview(value)}")


_JOB_BY_WIRE = {f.wire: (f, _converter(f)) for f in JOB_FIELDS}
_BATCH_BY_WIRE = {f.wire: (f, _converter(f)) for f in BATCH_FIELDS}
# Fields that are keys somewhere (a job list, a user directory): always 18 characters.
_ID_ATTRS = frozenset({"id", "created_by_id", "job_id"})
INVALID_MARK = "_bulktui_invalid"  # extra[INVALID_MARK]: why part of a row was not usable
_EXTRA_DEPTH = 32  # an unknown element nested deeper than this is replaced by TOO_DEEP


@functools.lru_cache(maxsize=8192)
def _key_id(text: str) -> str:
    return normalize_id(text)


def _too_deep(value: Any, limit: int) -> bool:
    """Whether a container holds something nested deeper than ``limit`` or a TOO_DEEP cut."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit or node == TOO_DEEP:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


def _build(
    cls: Any,
    by_wire: Mapping[str, tuple[WireField, Converter]],
    data: Mapping[str, Any],
    lenient: bool,
) -> Any:
    """A model from wire-named values. A value outside its field's range is refused
    (ResponseFormatError naming the field); ``lenient`` (a list row) leaves that field unset
    instead and says why in ``extra[INVALID_MARK]``, so one bad row does not fail a list."""
    # The hot loop of a 1,000-row job-list page: conversions inlined, nulls skipped (None is
    # every field's default).
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in data.items():
        entry = by_wire.get(key)
        if entry is None:
            if not key.startswith(("@", "#")):
                if isinstance(value, dict | list) and _too_deep(value, _EXTRA_DEPTH):
                    value = TOO_DEEP
                    problems.append(f"{key[:40]} is nested too deep")
                extra[key] = value
            continue
        if isinstance(value, dict):
            value = _text(value)
        if value is None:
            continue
        try:
            kwargs[entry[0].attr] = entry[1](value)
        except (TypeError, ValueError, OverflowError, RecursionError):
            if not lenient:
                raise _bad_value(entry[0], value) from None
            problems.append(f"{entry[0].wire} is not usable ({_preview(value)})")
    for attr in _ID_ATTRS.intersection(kwargs):
        try:
            kwargs[attr] = _key_id(kwargs[attr])
        except InvalidIdError:
            # Kept as sent: a request refuses it later (client._path_id); it is shown escaped.
            problems.append(f"{attr} is not a Salesforce id")
    if not kwargs.get("id"):
        raise ResponseFormatError(f"{cls.__name__} without an id")
    if problems:
        extra[INVALID_MARK] = "; ".join(problems)[:500]
    return cls(**kwargs, extra=extra)


def job_from_mapping(data: Mapping[str, Any], *, lenient: bool = False) -> JobInfo:
    job: JobInfo = _build(JobInfo, _JOB_BY_WIRE, data, lenient)
    return job


def batch_from_mapping(data: Mapping[str, Any], *, lenient: bool = False) -> BatchInfo:
    batch: BatchInfo = _build(BatchInfo, _BATCH_BY_WIRE, data, lenient)
    return batch


def _rows(items: Iterable[Any], build: Callable[..., Any], what: str) -> Iterable[Any]:
    """List rows, each built leniently; a row without a usable id cannot be kept (nothing
    could name it), so it is left out with a log line."""
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            yield build(item, lenient=True)
        except ResponseFormatError as exc:
            log.warning("a %s row was left out: %s", what, exc)


# --------------------------------------------------------------------------- parse: 1.0


def parse_job_info(body: bytes | str, fmt: Format) -> JobInfo:
    if fmt == "json":
        data = load_json(body)
        if not isinstance(data, dict):
            raise ResponseFormatError("expected a JSON jobInfo object")
        return job_from_mapping(data)
    return job_from_mapping(_xml_root(body, "jobInfo"))


def parse_batch_info(body: bytes | str, fmt: Format) -> BatchInfo:
    if fmt == "json":
        data = load_json(body)
        if not isinstance(data, dict):
            raise ResponseFormatError("expected a JSON batchInfo object")
        return batch_from_mapping(data)
    return batch_from_mapping(_xml_root(body, "batchInfo"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_batch_info_list(body: bytes | str, fmt: Format) -> tuple[BatchInfo, ...]:
    if fmt == "json":
        data = load_json(body)
        items = data.get("batchInfo") if isinstance(data, dict) else None
    else:
        items = _xml_root(body, "batchInfoList").get("batchInfo")
    return tuple(_rows(_as_list(items), batch_from_mapping, "batch list"))


def parse_error(status: int, body: bytes | str, content_type: str | None) -> ApiError:
    """Any error body the Bulk, REST or OAuth endpoints send, as a typed ApiError."""
    code, message = "", ""
    raw = body.encode() if isinstance(body, str) else body
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if not raw.strip():
        return error_for(status, "", f"HTTP {status} with no error details")
    if ctype == "text/plain":  # proxies and gateways: the text is the only explanation
        text = raw[:300].decode("utf-8", "replace")
        return error_for(status, "", f"HTTP {status}: {' '.join(text.split())}")
    try:
        fmt = detect_format(content_type, raw)
        if fmt == "json":
            data = load_json(body)
            if isinstance(data, list) and data and isinstance(data[0], dict):
                data = data[0]
            if isinstance(data, dict):
                code = _loose_text(
                    data.get("exceptionCode") or data.get("errorCode") or data.get("error")
                )
                message = _loose_text(
                    data.get("exceptionMessage")
                    or data.get("message")
                    or data.get("error_description")
                )
        else:
            doc = load_xml(body)
            root = doc.get("error")
            if isinstance(root, dict):
                code = _loose_text(root.get("exceptionCode"))
                message = _loose_text(root.get("exceptionMessage"))
            else:
                code, message = _soap_fault(doc)
    except ResponseFormatError as exc:
        message = exc.message
    if not code and not message:
        message = f"HTTP {status} with no error details"
    # One line of bounded length, whatever the server sent: the words reach a status line,
    # a one-line CLI error and the journal's action log (a real message is a sentence or two;
    # one that echoes a 5,000-character object name twice is not worth 10 KB of screen).
    message = cut(" ".join(message.split()), MAX_ERROR_MESSAGE)
    return error_for(status, cut(code, MAX_ERROR_CODE), message)


def _soap_fault(doc: Mapping[str, Any]) -> tuple[str, str]:
    envelope: Any = next(iter(doc.values()), {})
    body = _find_suffix(envelope, "Body")
    fault = _find_suffix(body, "Fault")
    code = _loose_text(fault.get("faultcode"))
    return code.split(":")[-1], _loose_text(fault.get("faultstring"))


def _find_suffix(node: Any, suffix: str) -> Mapping[str, Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.split(":")[-1] == suffix and isinstance(value, dict):
                return value
    return {}


_SESSION_CODES = {"invalidsessionid"}
_QUOTA_CODES = {"exceededquota", "requestlimitexceeded"}


def error_for(status: int, code: str, message: str) -> ApiError:
    folded = code.replace("_", "").lower()
    if folded in _SESSION_CODES:
        return InvalidSessionError(status, code, message)
    if folded in _QUOTA_CODES:
        return QuotaExceededError(status, code, message)
    return ApiError(status, code, message)


# --------------------------------------------------------------------------- parse: results


def parse_record_results(body: bytes | str, fmt: Format | Literal["csv"]) -> list[RecordResult]:
    """A DML batch result in any of the three formats, in request-row order."""
    if fmt == "csv":
        text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
        _check_size(text)
        rows = csv.DictReader(io.StringIO(text))
        return [
            RecordResult(
                id=row.get("Id") or None,
                success=(row.get("Success") or "").lower() == "true",
                created=(row.get("Created") or "").lower() == "true",
                errors=tuple(_csv_errors(row.get("Error") or "")),
            )
            for row in rows
        ]
    if fmt == "json":
        data = load_json(body)
        if not isinstance(data, list):
            raise ResponseFormatError("expected a JSON array of results")
        return [_result_from_mapping(r) for r in data if isinstance(r, dict)]
    root = _xml_root(body, "results")
    return [_result_from_mapping(r) for r in _as_list(root.get("result")) if isinstance(r, dict)]


def _result_from_mapping(r: Mapping[str, Any]) -> RecordResult:
    errors = []
    for e in _as_list(r.get("errors")):
        if isinstance(e, dict):
            fields = tuple(t for x in _as_list(_text(e.get("fields"))) if (t := _loose_text(x)))
            errors.append(
                RecordError(
                    _loose_text(e.get("statusCode")),
                    _loose_text(e.get("message")),
                    fields,
                )
            )
    ident = r.get("id")
    return RecordResult(
        id=_loose_text(ident) or None,
        success=_bool(_text(r.get("success"))),
        created=_bool(_text(r.get("created"))),
        errors=tuple(errors),
    )


def _csv_errors(text: str) -> Iterable[RecordError]:
    """``CODE:message:fields --`` (the message itself may hold colons)."""
    text = text.strip()
    if not text:
        return
    body = text[:-2].rstrip() if text.endswith("--") else text
    code, _, rest = body.partition(":")
    message, colon, fields = rest.rpartition(":")
    if not colon:
        message, fields = rest, ""
    yield RecordError(code.strip(), message.strip(), tuple(f for f in fields.split(",") if f))


def parse_result_ids(body: bytes | str, fmt: Format) -> list[str]:
    """The result-set ids of a query batch."""
    if fmt == "json":
        data = load_json(body)
        if not isinstance(data, list):
            raise ResponseFormatError("expected a JSON array of result ids")
        return [_loose_text(x) for x in data]
    root = _xml_root(body, "result-list")
    return [_loose_text(x) for x in _as_list(root.get("result"))]


# --------------------------------------------------------------------------- parse: 2.0 list


def parse_job_list_page(body: bytes | str) -> JobListPage:
    data = load_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("records", []), list):
        raise ResponseFormatError("expected a job list object with records")
    records = tuple(_rows(data.get("records", []), job_from_mapping, "job list"))
    next_url = data.get("nextRecordsUrl") or None
    if next_url is not None and not isinstance(next_url, str):
        raise ResponseFormatError("the job list's nextRecordsUrl is not text")
    return JobListPage(records, bool(data.get("done", next_url is None)), next_url)


# --------------------------------------------------------------------------- write: 1.0


def _xml_doc(root: str, inner: str) -> str:
    if not inner:
        return f'<?xml version="1.0" encoding="UTF-8"?><{root}\n   xmlns="{NAMESPACE}" />'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{root}\n   xmlns="{NAMESPACE}">\n{inner}</{root}>'
    )


def _xml_value(value: Any) -> str:
    if isinstance(value, Enum):
        return escape(str(value.value))
    if isinstance(value, datetime):
        return format_datetime_xml(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml_elements(obj: Any, fields: Sequence[WireField], indent: str) -> str:
    lines = []
    for f in fields:
        value = getattr(obj, f.attr)
        if value is not None:
            lines.append(f"{indent}<{f.wire}>{_xml_value(value)}</{f.wire}>\n")
    return "".join(lines)


def job_info_xml(job: JobInfo) -> str:
    return _xml_doc("jobInfo", _xml_elements(job, JOB_FIELDS[:JOB_XML_FIELD_COUNT], " "))


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return format_datetime_json(value)
    return value


def job_info_dict(job: JobInfo) -> dict[str, Any]:
    """The 1.0 JSON jobInfo, as the recent real capture shows it: nulls for unset optionals."""
    out: dict[str, Any] = {}
    for f in JOB_FIELDS[: JOB_XML_FIELD_COUNT + 1]:
        value = getattr(job, f.attr)
        if f.wire == "apiVersion" and value is not None:
            number = job.api_version_number
            value = number if number is not None else value
        out[f.wire] = _json_value(value)
    if out.get("fastPathEnabled") is None:
        out["fastPathEnabled"] = False
    return out


def job_info_json(job: JobInfo) -> str:
    return json.dumps(job_info_dict(job), sort_keys=True, separators=(",", ":"))


def batch_info_xml(batch: BatchInfo) -> str:
    return _xml_doc("batchInfo", _xml_elements(batch, BATCH_FIELDS, " "))


def batch_info_dict(batch: BatchInfo) -> dict[str, Any]:
    return {f.wire: _json_value(getattr(batch, f.attr)) for f in BATCH_FIELDS}


def batch_info_json(batch: BatchInfo) -> str:
    return json.dumps(batch_info_dict(batch), sort_keys=True, separators=(",", ":"))


def batch_info_list_xml(batches: Iterable[BatchInfo]) -> str:
    inner = "".join(
        f" <batchInfo>\n{_xml_elements(b, BATCH_FIELDS, '  ')} </batchInfo>\n" for b in batches
    )
    return _xml_doc("batchInfoList", inner)


def batch_info_list_json(batches: Iterable[BatchInfo]) -> str:
    items = [batch_info_dict(b) for b in batches]
    return json.dumps({"batchInfo": items}, sort_keys=True, separators=(",", ":"))


def error_xml(code: str, message: str) -> str:
    return _xml_doc(
        "error",
        f" <exceptionCode>{escape(code)}</exceptionCode>\n"
        f" <exceptionMessage>{escape(message)}</exceptionMessage>\n",
    )


def error_json(code: str, message: str) -> str:
    return json.dumps({"exceptionCode": code, "exceptionMessage": message}, separators=(",", ":"))


def job_request_xml(fields: Mapping[str, str]) -> str:
    """A create/update jobInfo request; ``fields`` are wire names, written in XSD order."""
    order = {f.wire: i for i, f in enumerate(JOB_FIELDS)}
    inner = "".join(
        f"  <{k}>{escape(v)}</{k}>\n"
        for k, v in sorted(fields.items(), key=lambda kv: order[kv[0]])
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<jobInfo xmlns="{NAMESPACE}">\n{inner}</jobInfo>'
    )


def job_request_json(fields: Mapping[str, str]) -> str:
    return json.dumps(dict(fields), separators=(",", ":"))


# --------------------------------------------------------------------------- write: results


def _csv_quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def record_results_csv(results: Iterable[RecordResult]) -> str:
    lines = ['"Id","Success","Created","Error"']
    for r in results:
        cells = (r.id or "", str(r.success).lower(), str(r.created).lower(), r.error or "")
        lines.append(",".join(_csv_quote(c) for c in cells))
    return "\n".join(lines) + "\n"


def record_results_xml(results: Iterable[RecordResult]) -> str:
    parts = []
    for r in results:
        errors = "".join(
            "<errors>"
            + "".join(f"<fields>{escape(f)}</fields>" for f in e.fields)
            + f"<message>{escape(e.message)}</message>"
            + f"<statusCode>{escape(e.status_code)}</statusCode>"
            + "</errors>"
            for e in r.errors
        )
        ident = f"<id>{escape(r.id)}</id>" if r.id else ""
        parts.append(
            f"<result>{errors}{ident}<success>{str(r.success).lower()}</success>"
            f"<created>{str(r.created).lower()}</created></result>"
        )
    return f'{XML_DECL}<results xmlns="{NAMESPACE}">{"".join(parts)}</results>'


def record_results_json(results: Iterable[RecordResult]) -> str:
    return json.dumps(
        [
            {
                "success": r.success,
                "created": r.created,
                "id": r.id,
                "errors": [
                    {"fields": list(e.fields), "message": e.message, "statusCode": e.status_code}
                    for e in r.errors
                ],
            }
            for r in results
        ],
        separators=(",", ":"),
    )


def result_ids_xml(ids: Iterable[str]) -> str:
    inner = "".join(f"<result>{escape(i)}</result>" for i in ids)
    return f'{XML_DECL}<result-list xmlns="{NAMESPACE}">{inner}</result-list>'


def result_ids_json(ids: Iterable[str]) -> str:
    return json.dumps(list(ids))


# --------------------------------------------------------------------------- write: 2.0 list


def job_list_row_dict(job: JobInfo) -> dict[str, Any]:
    """A 2.0 ``/jobs/ingest|query`` row: set fields in wire order, no counters."""
    out = job.to_wire()
    if "apiVersion" in out and job.api_version_number is not None:
        out["apiVersion"] = job.api_version_number
    return out


def job_list_page_json(jobs: Iterable[JobInfo], done: bool, next_records_url: str | None) -> str:
    page = {
        "done": done,
        "records": [job_list_row_dict(j) for j in jobs],
        "nextRecordsUrl": next_records_url,
    }
    return json.dumps(page, separators=(",", ":"))
