"""Guard rule files: the format, and every way a file can be wrong (file, line, what)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulktui.core.guard_rules import (
    Comparison,
    GuardAction,
    Metric,
    RuleFileError,
    load_rules,
    parse_condition,
    parse_rules,
)

GOOD = """\
armed = false                       # abort/close rules act only when armed

[[rule]]
name = "failing invoice load"
object = "Invoice__c"
operation = "insert"
when = "failure_rate > 10% and processed >= 500"
action = "abort"

[[rule]]
name = "forgotten open jobs"
when = "open_for > 30m"
action = "close"

[[rule]]
name = "account hard delete"
object = "Account"
operation = "hardDelete"
job_type = "V2"
when = "always"
action = "flag"
"""


def test_the_documented_format_parses() -> None:
    rules = parse_rules(GOOD, source="guards.toml")
    assert rules.armed is False
    assert [r.name for r in rules.rules] == [
        "failing invoice load",
        "forgotten open jobs",
        "account hard delete",
    ]
    first = rules.rules[0]
    assert first.action is GuardAction.ABORT
    assert first.object == "Invoice__c" and first.line == 3
    assert [(t.metric, t.comparison, t.value) for t in first.when.terms] == [
        (Metric.FAILURE_RATE, Comparison.GT, 10.0),
        (Metric.PROCESSED, Comparison.GE, 500.0),
    ]
    assert rules.rules[1].when.terms[0].value == 1800.0
    assert rules.rules[2].when.always
    assert str(first.when) == "failure_rate > 10% and processed >= 500"
    assert [r.name for r in rules.acting_rules] == ["failing invoice load", "forgotten open jobs"]


@pytest.mark.parametrize(
    ("text", "metric", "op", "value"),
    [
        ("failed > 100", Metric.FAILED, ">", 100),
        ("stalled_for >= 10m", Metric.STALLED_FOR, ">=", 600),
        ("open_for < 2h", Metric.OPEN_FOR, "<", 7200),
        ("open_for <= 45s", Metric.OPEN_FOR, "<=", 45),
        ("failure_rate>2.5%", Metric.FAILURE_RATE, ">", 2.5),
    ],
)
def test_terms(text: str, metric: Metric, op: str, value: float) -> None:
    (term,) = parse_condition(text).terms
    assert (term.metric, term.comparison.value, term.value) == (metric, op, value)


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("failure_rate > 10", "percentage"),
        ("failure_rate > 200%", "at most 100%"),
        ("open_for > 30", "needs a unit"),
        ("failed > 10m", "without a unit"),
        ("speed > 3", "unknown measure"),
        ("failed == 3", "cannot read"),
        ("__import__('os').system('x')", "cannot read"),
        ("always and failed > 1", "cannot be joined"),
        ("failed > 1 or processed > 2", "cannot read"),
    ],
)
def test_bad_conditions_say_file_line_and_what(when: str, words: str) -> None:
    text = f'[[rule]]\nname = "r"\naction = "flag"\nwhen = "{when}"\n'
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, source="g.toml")
    message = str(caught.value)
    assert message.startswith("g.toml, line 4: ")
    assert words in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("armd = true\n", "line 1", "unknown key 'armd'"),
        ('armed = "yes"\n', "line 1", "true or false"),
        (
            '[[rule]]\nname = "r"\nwhen = "always"\naction = "flag"\nobjet = "A"\n',
            "line 5",
            "unknown key 'objet'",
        ),
        ('[[rule]]\nname = "r"\nwhen = "always"\n', "line 1", "no action"),
        (
            '[[rule]]\nname = "r"\nwhen = "always"\naction = "delete"\n',
            "line 4",
            "flag, abort or close",
        ),
        (
            '[[rule]]\nname = "r"\nwhen = "always"\naction = "flag"\njob_type = "V3"\n',
            "line 5",
            "V1, V2 or V2query",
        ),
        (
            '[[rule]]\nname = "r"\nwhen = "failed > 3"\naction = "close"\n',
            "line 3",
            "forgotten Open jobs",
        ),
        (
            '[[rule]]\nname = "r"\nwhen = "always"\naction = "flag"\n\n'
            '[[rule]]\nname = "r"\nwhen = "always"\naction = "flag"\n',
            "line 6",
            "second rule",
        ),
        ('[[rule]]\nname = 3\nwhen = "always"\naction = "flag"\n', "line 2", "non-empty string"),
        ('[[rule]\nname = "r"\n', "line 1", ""),
    ],
)
def test_malformed_files(text: str, where: str, words: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        parse_rules(text, source="g.toml")
    assert where in str(caught.value)
    assert words in str(caught.value)


def test_load_refuses_what_is_not_a_small_regular_file(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="not a regular file"):
        load_rules(tmp_path)
    with pytest.raises(RuleFileError, match="not a regular file"):
        load_rules(tmp_path / "missing.toml")
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (2 << 20))
    with pytest.raises(RuleFileError, match="larger than"):
        load_rules(big)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(RuleFileError, match="not UTF-8"):
        load_rules(binary)
    good = tmp_path / "guards.toml"
    good.write_text(GOOD)
    assert len(load_rules(good).rules) == 3


def test_escape_sequences_in_a_rule_file_are_not_echoed_raw() -> None:
    with pytest.raises(RuleFileError) as caught:
        parse_rules('"\x1b]52;c;eA==\x07" = 1\n', source="g.toml")
    assert "\x1b" not in str(caught.value)
