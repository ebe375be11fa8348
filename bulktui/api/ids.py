"""Salesforce record ids: validation, the 15→18 checksum, and key prefixes (reference §8)."""

from __future__ import annotations

import re

JOB_PREFIX = "750"
BATCH_PREFIX = "751"
RESULT_PREFIX = "752"
USER_PREFIX = "005"

_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_PATTERN = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


class InvalidIdError(ValueError):
    """A string that is not a well-formed Salesforce id of the expected kind."""


def checksum(id15: str) -> str:
    """The three case-safety characters for a 15-character id."""
    out = []
    for start in (0, 5, 10):
        bits = 0
        for i, ch in enumerate(id15[start : start + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(_CHECKSUM_ALPHABET[bits])
    return "".join(out)


def to18(sf_id: str) -> str:
    """Normalise a 15- or 18-character id to 18 characters, checking the checksum if present."""
    if not _ID_PATTERN.fullmatch(sf_id):
        raise InvalidIdError(
            f"{sf_id!r} is not a Salesforce id: expected 15 or 18 letters and digits"
        )
    expected = checksum(sf_id[:15])
    if len(sf_id) == 18:
        if sf_id[15:].upper() != expected:
            raise InvalidIdError(f"{sf_id!r} has a bad checksum: expected {sf_id[:15]}{expected}")
        return sf_id[:15] + expected
    return sf_id + expected


def is_valid(sf_id: str, prefix: str | None = None) -> bool:
    try:
        normalised = to18(sf_id)
    except InvalidIdError:
        return False
    return prefix is None or normalised.startswith(prefix)


def _parse(sf_id: str, prefix: str, kind: str) -> str:
    text = sf_id.strip()
    normalised = to18(text)
    if not normalised.startswith(prefix):
        raise InvalidIdError(f"{text!r} is not a {kind} id: {kind} ids start with {prefix}")
    return normalised


def parse_job_id(sf_id: str) -> str:
    """An 18-character job id from user input, or InvalidIdError with a one-line reason."""
    return _parse(sf_id, JOB_PREFIX, "job")


def parse_batch_id(sf_id: str) -> str:
    return _parse(sf_id, BATCH_PREFIX, "batch")


def make_id(prefix: str, pod: str, counter: int) -> str:
    """An 18-character id: 3-char prefix, 2-char pod, a 10-char base-62 counter, checksum."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    body = []
    n = counter
    for _ in range(10):
        n, r = divmod(n, 62)
        body.append(digits[r])
    id15 = prefix + pod + "".join(reversed(body))
    return id15 + checksum(id15)
