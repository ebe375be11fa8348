"""The one safe-text path (bulktui/text.py), the CLI's output writer and its error
printer: what a hostile server sends reaches the terminal only as visible escapes, whatever
the terminal's encoding, and never pads a table to its size or shows a secret."""

from __future__ import annotations

import io
import sys
import unicodedata

import pytest

from bulktui.api.redact import register_secret, safe_message
from bulktui.cli import output
from bulktui.cli.common import fail
from bulktui.text import is_safe, one_line, printable


def test_every_control_format_character_and_surrogate_is_escaped() -> None:
    # The table in text.py against every character the running Python's Unicode knows.
    missed = [
        hex(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
        and printable(chr(code)) == chr(code)
    ]
    assert missed == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b]52;c;ZWNobw==\x07b", "a\\x1b]52;c;ZWNobw==\\x07b"),  # OSC 52 clipboard write
        ("\x9b31m", "\\x9b31m"),  # C1 CSI
        ("Acc\u202eount", "Acc\\u202eount"),  # right-to-left override
        ("a\u2066b\u2069", "a\\u2066b\\u2069"),  # isolates
        ("z\u200bw\u200dj\u2060\ufeff", "z\\u200bw\\u200dj\\u2060\\ufeff"),  # zero-width
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("tag \U000e0041", "tag \\U000e0041"),
        ("Bücher €, 日本, emoji 🙂", "Bücher €, 日本, emoji 🙂"),  # ordinary text untouched
    ],
)
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert is_safe(shown) and is_safe(raw) is (raw == shown)


def test_one_line_folds_whitespace_and_line_separators() -> None:
    assert one_line("a\n\tb\u2028c  d") == "a b c d"


def test_table_cells_are_capped() -> None:
    text = output.table(["A", "B"], [["x" * 4_000_000, "1"], ["y", "2"]])
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= output.MAX_CELL + 10
    assert lines[1].startswith("x" * (output.MAX_CELL - 1) + output.CUT_MARK)
    assert lines[2].index("2") == lines[1].index("1")


def test_emit_escapes_what_the_stream_cannot_encode(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    ascii_out = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", ascii_out)
    output.emit("Bücher \ud800 €\n")
    assert raw.getvalue() == b"B\\xfccher \\ud800 \\u20ac\n"
    text_only = io.StringIO()
    monkeypatch.setattr(sys, "stdout", text_only)
    output.emit("lone \udcff\n")
    assert text_only.getvalue() == "lone \\udcff\n"


def test_every_cli_error_line_is_redacted_and_safe(capsys: pytest.CaptureFixture[str]) -> None:
    odd = "emulator-style-session-0123456789"
    register_secret(odd)
    real = "00D5g000004WyTz!AQ" + "k" * 60
    assert fail(f"bad session {odd} and {real}\x1b[2J\u202e", 1) == 1
    err = capsys.readouterr().err
    assert odd not in err and real not in err and "\x1b" not in err and "\u202e" not in err
    assert err.count("***") == 2 and err.endswith("\\x1b[2J\\u202e\n")
    assert safe_message("multi\nline") == "multi line"


def test_the_console_problem_line_masks_an_echoed_session_id() -> None:
    from bulktui.api.errors import ApiError
    from bulktui.core.faults import describe

    odd = "another-emulator-style-session-42424242"
    register_secret(odd)
    shown = describe(ApiError(400, "INVALID_FIELD", f"bad session {odd}\x1b[2J"))
    assert odd not in shown and "***" in shown and "\x1b" not in shown
