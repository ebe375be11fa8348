from __future__ import annotations

import pytest

from bulktui.api.ids import (
    InvalidIdError,
    checksum,
    is_valid,
    make_id,
    normalize_id,
    parse_job_id,
    to18,
)


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("750D00000004SkL", "750D00000004SkLIAU"),
        ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA"),
        ("AbCdEfGhIjKlMnO", "AbCdEfGhIjKlMnOVKV"),
        ("7509H0000016HP0", "7509H0000016HP0QAM"),  # from a captured response
    ],
)
def test_to18_matches_published_vectors(id15: str, id18: str) -> None:
    assert to18(id15) == id18
    assert to18(id18) == id18


def test_a_bad_checksum_is_refused_without_suggesting_another_id() -> None:
    with pytest.raises(InvalidIdError) as caught:
        to18("7509H0000016HP0AAA")
    # The suggestion would name a different record (issue 11 item 21).
    assert "7509H0000016HP0QAM" not in str(caught.value)
    assert "7509H0000016HP0AAA" in str(caught.value)


@pytest.mark.parametrize(
    "typed", ["7509h0000016hp0qam", "7509h0000016hp0QAM", " 7509h0000016hp0qaM "]
)
def test_an_18_char_id_in_any_case_gets_its_case_back_from_the_suffix(typed: str) -> None:
    assert normalize_id(typed) == "7509H0000016HP0QAM"
    assert parse_job_id(typed) == "7509H0000016HP0QAM"


def test_a_mixed_case_id_that_does_not_match_is_refused_not_repaired() -> None:
    with pytest.raises(InvalidIdError, match="has a bad checksum"):
        to18("7509h0000016HP0qam")


def test_a_suffix_that_marks_a_digit_upper_case_is_refused() -> None:
    # "B" sets bit 1 of the first block: position 1 is the digit 5.
    with pytest.raises(InvalidIdError, match="has a bad checksum"):
        to18("750000000000000BAA")


def test_15_and_18_characters_of_one_job_are_one_key() -> None:
    assert normalize_id("750D00000004SkL") == normalize_id("750d00000004sklIAU")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("750abc", "15 or 18"),
        ("7519H000001XiCzQAK", "job ids start with 750"),
        ("750D00000004SkL!!!", "15 or 18"),
        ("", "15 or 18"),
    ],
)
def test_parse_job_id_refuses_bad_input(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdError, match=reason):
        parse_job_id(text)


def test_parse_job_id_accepts_15_chars_and_surrounding_space() -> None:
    assert parse_job_id(" 750D00000004SkL ") == "750D00000004SkLIAU"


def test_make_id_is_valid_and_unique() -> None:
    ids = {make_id("751", "8Z", n) for n in range(1000)}
    assert len(ids) == 1000
    assert all(is_valid(i, "751") and len(i) == 18 for i in ids)


def test_the_fast_checksum_agrees_with_the_rule_for_every_case_pattern() -> None:
    """checksum() reads the case bits through a byte table: compare it with the rule written
    out (bit i of a block of five is set when its character i is a letter A-Z) over every one
    of the 32 case patterns of a block, in each of the three blocks."""

    def by_the_rule(id15: str) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
        return "".join(
            alphabet[sum(1 << i for i, ch in enumerate(id15[s : s + 5]) if "A" <= ch <= "Z")]
            for s in (0, 5, 10)
        )

    for pattern in range(32):
        block = "".join("Q" if pattern & (1 << i) else "q" for i in range(5))
        for at in range(3):
            id15 = ("a1b2c" * 3)[: at * 5] + block + ("9z8y7" * 3)[at * 5 + 5 :]
            assert checksum(id15) == by_the_rule(id15), id15
    assert checksum("ÄBCDEFGHIJKLMNO") == by_the_rule("ÄBCDEFGHIJKLMNO")  # not ASCII: the slow path
