"""Guard rule files: parsed, never evaluated as code.

A rule file is TOML (docs/guards.md has the format)::

    armed = false

    [[rule]]
    name = "failing invoice load"
    object = "Invoice__c"
    operation = "insert"
    when = "failure_rate > 10% and processed >= 500"
    action = "abort"

``when`` is a small language: terms joined by ``and``; a term is ``always`` or
``METRIC OP VALUE`` with OP one of ``> >= < <=``. Metrics: ``failure_rate`` (a percentage),
``failed`` and ``processed`` (record counts), ``open_for`` and ``stalled_for`` (durations in
s, m or h). Anything else is an error that names the file, the line and what is wrong, and an
unknown key is an error too: a typo must never silently widen or disable a rule.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import platformdirs

from bulktui.text import one_line

__all__ = [
    "Comparison",
    "Condition",
    "GuardAction",
    "Metric",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "Term",
    "default_rules_path",
    "load_rules",
    "load_rules_or_default",
    "parse_condition",
    "parse_rules",
]

RULES_FILE_NAME = "guards.toml"
MAX_RULE_FILE_BYTES = 1 << 20  # a rule file is a few kB; anything bigger is not one


class RuleFileError(Exception):
    """One line: the file, the line and what is wrong."""


class GuardAction(StrEnum):
    FLAG = "flag"
    ABORT = "abort"
    CLOSE = "close"

    @property
    def changes_jobs(self) -> bool:
        return self is not GuardAction.FLAG


class Metric(StrEnum):
    FAILURE_RATE = "failure_rate"  # percent of processed records that failed
    FAILED = "failed"
    PROCESSED = "processed"
    OPEN_FOR = "open_for"  # seconds the job has been Open
    STALLED_FOR = "stalled_for"  # seconds a live job's processed count has not moved

    @property
    def is_duration(self) -> bool:
        return self in (Metric.OPEN_FOR, Metric.STALLED_FOR)


class Comparison(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="

    def holds(self, left: float, right: float) -> bool:
        if self is Comparison.GT:
            return left > right
        if self is Comparison.GE:
            return left >= right
        if self is Comparison.LT:
            return left < right
        return left <= right


@dataclass(frozen=True, slots=True)
class Term:
    metric: Metric
    comparison: Comparison
    value: float  # percent for failure_rate, seconds for durations, a count otherwise

    def __str__(self) -> str:
        return f"{self.metric.value} {self.comparison.value} {_show_value(self)}"


@dataclass(frozen=True, slots=True)
class Condition:
    """All terms must hold; no terms means ``always``."""

    terms: tuple[Term, ...]

    @property
    def always(self) -> bool:
        return not self.terms

    def __str__(self) -> str:
        return " and ".join(str(t) for t in self.terms) or "always"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    when: Condition
    action: GuardAction
    # Scope: case-insensitive globs; None matches anything.
    object: str | None = None
    operation: str | None = None
    job_type: str | None = None  # V1, V2, V2query
    created_by: str | None = None  # a user id or name
    line: int = 0  # where the rule starts in its file, for messages

    @property
    def scoped(self) -> bool:
        """Whether a scope key narrows the rule: ``object = "*"`` narrows nothing."""
        return any(
            v is not None and v.strip("*") != ""
            for v in (self.object, self.operation, self.job_type, self.created_by)
        )

    @property
    def matches_everything(self) -> bool:
        """No scope and no condition: it would act on every job in the org."""
        return not self.scoped and self.when.always


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]
    armed: bool = False  # the file's own ``armed = true``
    source: str = "<rules>"

    @property
    def acting_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.action.changes_jobs)


_TOP_KEYS = {"armed", "rule"}
_RULE_KEYS = {"name", "when", "action", "object", "operation", "job_type", "created_by"}
_JOB_TYPES = {"v1", "v2", "v2query"}
_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_TERM = re.compile(
    r"^(?P<metric>[a-z_]+)\s*(?P<op>>=|<=|>|<)\s*(?P<value>[0-9]+(?:\.[0-9]+)?)(?P<unit>%|[smh])?$"
)


def default_rules_path() -> Path:
    """``guards.toml`` in bulktui's config directory (``~/.config/bulktui`` on Linux)."""
    return platformdirs.user_config_path("bulktui") / RULES_FILE_NAME


def load_rules_or_default(given: str | Path | None) -> RuleSet | None:
    """``--rules FILE`` if given (it must exist), else the default file if there is one, else
    None: no rules. Every problem is a one-line ``RuleFileError``."""
    if given is not None:
        return load_rules(Path(given))
    path = default_rules_path()
    return load_rules(path) if path.exists() else None


def load_rules(path: Path) -> RuleSet:
    """Read and parse a rule file; every problem is a one-line ``RuleFileError``."""
    where = one_line(str(path))
    try:
        if not path.is_file():
            raise RuleFileError(f"{where}: not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as error:
        reason = one_line(error.strerror or str(error))
        raise RuleFileError(f"{where}: cannot read it ({reason})") from None
    if len(raw) > MAX_RULE_FILE_BYTES:
        raise RuleFileError(f"{where}: larger than {MAX_RULE_FILE_BYTES} bytes; not a rule file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RuleFileError(f"{where}: not UTF-8 text (byte {error.start})") from None
    return parse_rules(text, source=where)


def parse_rules(text: str, *, source: str = "<rules>") -> RuleSet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleFileError(f"{source}: {one_line(str(error))}") from None
    lines = _LineFinder(text)
    for key in data:
        if key not in _TOP_KEYS:
            raise RuleFileError(
                f"{source}, line {lines.top_key(key)}: unknown key {one_line(key)!r} "
                f"(known: armed, [[rule]])"
            )
    armed = data.get("armed", False)
    if not isinstance(armed, bool):
        raise RuleFileError(f"{source}, line {lines.top_key('armed')}: armed must be true or false")
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        raise RuleFileError(f"{source}: rules are written as [[rule]] tables")
    rules: list[Rule] = []
    names: set[str] = set()
    for index, table in enumerate(tables):
        rule = _parse_rule(table, index, source, lines)
        if rule.name in names:
            raise RuleFileError(f"{source}, line {rule.line}: a second rule named {rule.name!r}")
        names.add(rule.name)
        rules.append(rule)
    return RuleSet(tuple(rules), armed=armed, source=source)


def _parse_rule(table: object, index: int, source: str, lines: _LineFinder) -> Rule:
    start = lines.rule_start(index)
    if not isinstance(table, dict):
        raise RuleFileError(f"{source}, line {start}: a rule must be a [[rule]] table")

    def fail(key: str | None, what: str) -> RuleFileError:
        line = lines.rule_key(index, key) if key else start
        return RuleFileError(f"{source}, line {line}: {what}")

    for key in table:
        if key not in _RULE_KEYS:
            raise fail(
                key,
                f"unknown key {one_line(key)!r} in a rule (known: {', '.join(sorted(_RULE_KEYS))})",
            )
    for key in ("name", "when", "action"):
        if key not in table:
            raise fail(None, f"the rule has no {key}")
    values: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise fail(key, f"{key} must be a non-empty string")
        values[key] = value.strip()
    try:
        action = GuardAction(values["action"])
    except ValueError:
        raise fail(
            "action", f"action must be flag, abort or close, not {one_line(values['action'])!r}"
        ) from None
    try:
        when = parse_condition(values["when"])
    except ValueError as error:
        raise fail("when", str(error)) from None
    job_type = values.get("job_type")
    if job_type is not None and not _is_glob(job_type) and _norm_type(job_type) not in _JOB_TYPES:
        raise fail("job_type", f"job_type must be V1, V2 or V2query, not {one_line(job_type)!r}")
    if action is GuardAction.CLOSE and any(t.metric is not Metric.OPEN_FOR for t in when.terms):
        raise fail(
            "when", "a close rule is for forgotten Open jobs: its condition may only use open_for"
        )
    return Rule(
        name=one_line(values["name"]),
        when=when,
        action=action,
        line=start,
        object=values.get("object"),
        operation=values.get("operation"),
        job_type=values.get("job_type"),
        created_by=values.get("created_by"),
    )


def parse_condition(text: str) -> Condition:
    """``failure_rate > 10% and processed >= 500`` → a Condition; ValueError in plain words."""
    parts = re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)
    terms: list[Term] = []
    for part in parts:
        part = part.strip()
        if part.lower() == "always":
            if len(parts) > 1:
                raise ValueError("'always' cannot be joined with other terms")
            return Condition(())
        terms.append(_parse_term(part))
    return Condition(tuple(terms))


def _parse_term(text: str) -> Term:
    shown = one_line(text)
    match = _TERM.match(text)
    if match is None:
        raise ValueError(
            f"cannot read {shown!r}: write METRIC OP VALUE, e.g. 'failure_rate > 10%', "
            "'failed > 100', 'open_for > 30m', or 'always'"
        )
    try:
        metric = Metric(match["metric"])
    except ValueError:
        raise ValueError(
            f"unknown measure {one_line(match['metric'])!r} (known: "
            f"{', '.join(m.value for m in Metric)})"
        ) from None
    value = float(match["value"])
    unit = match["unit"]
    if not math.isfinite(value):
        raise ValueError(f"{shown!r}: the number is out of range")
    if metric is Metric.FAILURE_RATE:
        if unit != "%":
            raise ValueError(f"{shown!r}: a failure rate is a percentage, e.g. 10%")
        if value > 100:
            raise ValueError(f"{shown!r}: a failure rate is at most 100%")
    elif metric.is_duration:
        if unit not in _DURATION_UNITS:
            raise ValueError(f"{shown!r}: a duration needs a unit: s, m or h (e.g. 30m)")
        value *= _DURATION_UNITS[unit]
    elif unit is not None:
        raise ValueError(f"{shown!r}: {metric.value} is a count of records, without a unit")
    return Term(metric, Comparison(match["op"]), value)


def _show_value(term: Term) -> str:
    if term.metric is Metric.FAILURE_RATE:
        return f"{term.value:g}%"
    if term.metric.is_duration:
        for unit, size in (("h", 3600.0), ("m", 60.0)):
            if term.value >= size and term.value % size == 0:
                return f"{term.value / size:g}{unit}"
        return f"{term.value:g}s"
    return f"{term.value:g}"


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _norm_type(text: str) -> str:
    return text.replace(" ", "").lower()


class _LineFinder:
    """Line numbers for keys tomllib has already accepted, for messages people can act on."""

    _HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
    _TABLE = re.compile(r"^\s*\[")

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._starts = [i for i, line in enumerate(self._lines) if self._HEADER.match(line)]

    def top_key(self, key: str) -> int:
        end = self._starts[0] if self._starts else len(self._lines)
        return self._find(key, 0, end) or 1

    def rule_start(self, index: int) -> int:
        return self._starts[index] + 1 if index < len(self._starts) else 1

    def rule_key(self, index: int, key: str) -> int:
        if index >= len(self._starts):
            return 1
        begin = self._starts[index] + 1
        end = next(
            (i for i in range(begin, len(self._lines)) if self._TABLE.match(self._lines[i])),
            len(self._lines),
        )
        return self._find(key, begin, end) or begin

    def _find(self, key: str, begin: int, end: int) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for i in range(begin, end):
            if pattern.match(self._lines[i]):
                return i + 1
        return None
