"""Bulk API 2.0 CSV: the job's column delimiter and line ending, read on upload and written
in results. Internally an upload is re-written as plain comma/LF CSV, so the 1.0 batch rules
(payload.parse_records) judge it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bulktui.emulator.state import Job

DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


@dataclass(frozen=True, slots=True)
class CsvDialect:
    delimiter: str = "COMMA"  # wire names
    line_ending: str = "LF"

    @classmethod
    def of(cls, job: Job) -> CsvDialect:
        return cls(job.column_delimiter or "COMMA", job.line_ending or "LF")

    @property
    def sep(self) -> str:
        return DELIMITERS[self.delimiter]

    @property
    def eol(self) -> str:
        return LINE_ENDINGS[self.line_ending]

    def read(self, body: bytes) -> tuple[list[str], list[list[str]]]:
        """Header and rows of an upload; ValueError with the job's errorMessage if unreadable."""
        rows = self.iter_rows(body)
        header = next(rows, None)
        return (header, list(rows)) if header is not None else ([], [])

    def iter_rows(self, body: bytes) -> Iterator[list[str]]:
        """The header, then each row; ValueError (as the job's errorMessage) when unreadable."""
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("InvalidBatch : Failed to parse the data: not valid UTF-8") from None
        first = text.find("\n")
        if first >= 0 and (text[first - 1 : first] == "\r") != (self.line_ending == "CRLF"):
            raise ValueError(
                "ClientInputError : LineEnding is invalid on user data. "
                f"Current LineEnding setting is {self.line_ending}"
            )
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.sep, strict=True)
        try:
            yield from (r for r in reader if r)
        except csv.Error:
            raise ValueError(
                "InvalidBatch : Failed to parse CSV. Found unescaped quote. "
                "A value with quote should be within a quote"
            ) from None

    @staticmethod
    def canonical(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue().encode()

    @staticmethod
    def read_canonical(payload: bytes) -> tuple[list[str], list[list[str]]]:
        text = payload.decode("utf-8-sig", "replace")
        table = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
        return (table[0], table[1:]) if table else ([], [])

    def _line(self, cells: Iterable[str], quote_all: bool) -> str:
        out = io.StringIO()
        csv.writer(
            out,
            delimiter=self.sep,
            lineterminator=self.eol,
            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        ).writerow(list(cells))
        return out.getvalue()

    def write_header(self, prefix: Sequence[str], header: Sequence[str]) -> bytes:
        """``"sf__Id","sf__Created",Name``: the sf__ columns quoted, the input ones as given."""
        head = self._line(prefix, True)[: -len(self.eol)] if prefix else ""
        rest = self._line(header, False)
        if head and header:
            head += self.sep
        return (head + (rest if header else self.eol)).encode()

    def write_rows(self, rows: Iterable[Sequence[str]]) -> bytes:
        """Every cell quoted, as Salesforce writes result rows."""
        return "".join(self._line(r, True) for r in rows).encode()

    def write_query(self, fields: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
        parts = [self._line(fields, True)]
        parts.extend(
            self._line(("" if r.get(f) is None else str(r.get(f)) for f in fields), True)
            for r in rows
        )
        return "".join(parts).encode()
