from __future__ import annotations

import pytest

from bulktui.api.ids import InvalidIdError, is_valid, make_id, parse_job_id, to18


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


def test_bad_checksum_is_refused_with_the_right_id_in_the_message() -> None:
    with pytest.raises(InvalidIdError, match="7509H0000016HP0QAM"):
        to18("7509H0000016HP0AAA")


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
