"""A minimal SOQL: ``SELECT f1, f2 FROM Object [WHERE …] [ORDER BY f [ASC|DESC]] [LIMIT n]``.

Enough for bulk query jobs against the record store and for the console's ``User`` name
lookup. WHERE supports =, !=, <>, <, <=, >, >=, LIKE, [NOT] IN (…), AND, OR, NOT and
parentheses. Errors carry Salesforce's codes (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bulktui.api import ids
from bulktui.emulator.objects import ObjectDef, find_object
from bulktui.emulator.store import Record

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?(?![\w-]))"
    r"|(?P<date>\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?)"
    r"|(?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][\w.]*))",
)


class SoqlError(Exception):
    """``code: message``, as Salesforce words a failed query."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class Query:
    fields: tuple[str, ...]  # canonical names
    obj: ObjectDef
    where: Callable[[Record], bool] | None
    order_by: tuple[str, bool] | None  # field, descending
    limit: int | None

    def run(self, rows: Iterable[Record]) -> list[Record]:
        selected = [r for r in rows if self.where is None or self.where(r)]
        if self.order_by:
            name, desc = self.order_by
            selected.sort(key=lambda r: _sort_key(r.get(name)), reverse=desc)
        if self.limit is not None:
            selected = selected[: self.limit]
        return selected


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    try:
        return (1, float(value))
    except ValueError:
        return (2, str(value).lower())


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].strip().split()[0] if text[pos:].strip() else text[pos:]
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{bad}'")
        kind = m.lastgroup or "op"
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.obj: ObjectDef | None = None

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def keyword(self, *words: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].upper() in words:
            self.i += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            self.unexpected()

    def unexpected(self) -> None:
        tok = self.peek()
        if tok is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok[1]}'")

    def take(self, kind: str) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind:
            self.unexpected()
        assert tok is not None
        self.i += 1
        return tok[1]

    def op(self, value: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] == value:
            self.i += 1
            return True
        return False

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        names = [self.take("word")]
        while self.op(","):
            names.append(self.take("word"))
        self.expect_keyword("FROM")
        obj_name = self.take("word")
        obj = find_object(obj_name)
        if obj is None:
            raise SoqlError("INVALID_TYPE", f"sObject type '{obj_name}' is not supported.")
        self.obj = obj
        fields = tuple(self.field(n) for n in names)
        where = self.disjunction() if self.keyword("WHERE") else None
        order_by = None
        if self.keyword("ORDER"):
            self.expect_keyword("BY")
            name = self.field(self.take("word"))
            desc = self.keyword("DESC")
            if not desc:
                self.keyword("ASC")
            order_by = (name, desc)
        limit = int(self.take("num")) if self.keyword("LIMIT") else None
        if self.peek() is not None:
            self.unexpected()
        return Query(fields, obj, where, order_by, limit)

    def field(self, name: str) -> str:
        assert self.obj is not None
        f = self.obj.field(name)
        if f is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"No such column '{name}' on entity '{self.obj.name}'. If you are attempting to "
                "use a custom field, be sure to append the '__c' after the custom field name. "
                "Please reference your WSDL or the describe call for the appropriate names.",
            )
        return f.name

    def disjunction(self) -> Callable[[Record], bool]:
        parts = [self.conjunction()]
        while self.keyword("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def conjunction(self) -> Callable[[Record], bool]:
        parts = [self.negation()]
        while self.keyword("AND"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def negation(self) -> Callable[[Record], bool]:
        if self.keyword("NOT"):
            inner = self.negation()
            return lambda r: not inner(r)
        if self.op("("):
            inner = self.disjunction()
            if not self.op(")"):
                self.unexpected()
            return inner
        return self.comparison()

    def value(self) -> Any:
        tok = self.peek()
        if tok is None:
            self.unexpected()
        assert tok is not None
        kind, text = tok
        self.i += 1
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind in ("num", "date"):
            return text
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower()
        if kind == "word" and text.lower() == "null":
            return None
        self.i -= 1
        self.unexpected()
        return None

    def comparison(self) -> Callable[[Record], bool]:
        name = self.field(self.take("word"))
        assert self.obj is not None
        f = self.obj.field(name)
        # Id filters take 15- or 18-character ids alike, as SOQL does.
        is_id = f is not None and f.kind in ("id", "reference")
        negate = self.keyword("NOT")
        if self.keyword("IN"):
            if not self.op("("):
                self.unexpected()
            values = [self.value()]
            while self.op(","):
                values.append(self.value())
            if not self.op(")"):
                self.unexpected()
            if is_id:
                values = [_id18(v) for v in values]
            folded = {_fold(v) for v in values}
            return lambda r: (_fold(r.get(name)) in folded) != negate
        if negate:
            self.unexpected()
        if self.keyword("LIKE"):
            pattern = _like(self.value())
            return lambda r: r.get(name) is not None and bool(pattern.fullmatch(str(r[name])))
        tok = self.peek()
        if tok is None or tok[0] != "op" or tok[1] in ("(", ")", ","):
            self.unexpected()
        assert tok is not None
        self.i += 1
        value = self.value()
        return _compare(name, tok[1], _id18(value) if is_id else value)


def _id18(value: Any) -> Any:
    if isinstance(value, str) and ids.is_valid(value):
        return ids.to18(value)
    return value


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _like(value: Any) -> re.Pattern[str]:
    text = str(value or "")
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in text)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def _compare(name: str, op: str, value: Any) -> Callable[[Record], bool]:
    def test(r: Record) -> bool:
        left = r.get(name)
        if left == "":
            left = None
        if op in ("=", "!=", "<>"):
            equal = _fold(left) == _fold(value)
            return equal if op == "=" else not equal
        if left is None or value is None:
            return False
        a, b = _ordered(left, value)
        result: bool = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return result

    return test


def _ordered(a: Any, b: Any) -> tuple[Any, Any]:
    try:
        return float(a), float(b)
    except (TypeError, ValueError):
        return str(a).lower(), str(b).lower()


def parse(text: str) -> Query:
    """A parsed query, or SoqlError."""
    return _Parser(text).parse()


def project(query: Query, rows: Sequence[Record]) -> list[dict[str, Any]]:
    """The selected columns of each row, in SELECT order."""
    return [{f: r.get(f) for f in query.fields} for r in rows]
