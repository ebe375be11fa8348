"""Salesforce record ids: validation, the 15→18 checksum, key prefixes (docs/wire-facts.md §8)."""

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


# Byte b'1' for an upper-case ASCII letter, b'0' for anything else: the checksum's bits.
_CASE_BITS = bytes(0x31 if 0x41 <= c <= 0x5A else 0x30 for c in range(256))


def checksum(id15: str) -> str:
    """The three case-safety characters for a 15-character id: one per block of five, whose
    bit i is set when the block's character i is an upper-case letter (A-Z; anything else,
    or a character missing from a shorter text, is a 0 bit)."""
    # The bits as text, read by int(): this runs for every id of every job read (10,000 at a
    # launch from the journal), and a loop over characters costs twice as much. A character
    # that is not ASCII becomes one "?", a 0 bit like any other non-letter.
    text = id15[:15].ljust(15, "0").encode("ascii", "replace")
    bits = text.translate(_CASE_BITS)[::-1]
    alphabet = _CHECKSUM_ALPHABET
    return alphabet[int(bits[10:], 2)] + alphabet[int(bits[5:10], 2)] + alphabet[int(bits[:5], 2)]


def _case_from_suffix(sf_id: str) -> str | None:
    """The first 15 characters with the case the checksum suffix says they have, or None
    when the suffix cannot belong to them (it marks a digit as upper case)."""
    out = list(sf_id[:15].lower())
    for block, ch in enumerate(sf_id[15:].upper()):
        bits = _CHECKSUM_ALPHABET.find(ch)
        if bits < 0:
            return None
        for i in range(5):
            if bits & (1 << i):
                pos = block * 5 + i
                if not out[pos].isalpha():
                    return None
                out[pos] = out[pos].upper()
    return "".join(out)


def to18(sf_id: str) -> str:
    """Normalise a 15- or 18-character id to 18 characters.

    An 18-character id is case-insensitive (that is what its suffix is for): a lower-cased id
    typed or pasted by a user gets the case of its first 15 characters back from the suffix.
    A suffix that does not fit is refused, and the message never proposes another id (it
    would name a different record)."""
    if not _ID_PATTERN.fullmatch(sf_id):
        raise InvalidIdError(
            f"{sf_id[:40]!r} is not a Salesforce id: expected 15 or 18 letters and digits"
        )
    if len(sf_id) == 15:
        return sf_id + checksum(sf_id)
    suffix = checksum(sf_id[:15])
    if suffix == sf_id[15:]:
        return sf_id  # already in its 18-character form (the usual case): no copy
    if suffix == sf_id[15:].upper():
        return sf_id[:15] + sf_id[15:].upper()
    # Only a lower-cased id (a case-insensitive system, a hand-typed id) gets its case back:
    # with any upper-case letter, a mismatch is more likely a typo than a lost case.
    restored = _case_from_suffix(sf_id) if sf_id[:15] == sf_id[:15].lower() else None
    if restored is None or checksum(restored) != sf_id[15:].upper():
        raise InvalidIdError(
            f"{sf_id!r} has a bad checksum: its last 3 characters do not match the first 15"
        )
    return restored + sf_id[15:].upper()


def normalize_id(text: str) -> str:
    """The 18-character form of an id, the only form used as a key (a job list, a user
    directory, the poller's views): the same record as 15 and 18 characters is one key.
    Surrounding space is ignored; InvalidIdError when ``text`` is not an id."""
    return to18(text.strip())


def is_valid(sf_id: str, prefix: str | None = None) -> bool:
    try:
        normalised = to18(sf_id)
    except InvalidIdError:
        return False
    return prefix is None or normalised.startswith(prefix)


def _parse(sf_id: str, prefix: str, kind: str) -> str:
    text = sf_id.strip()
    normalised = normalize_id(text)
    if not normalised.startswith(prefix):
        raise InvalidIdError(f"{text!r} is not a {kind} id: {kind} ids start with {prefix}")
    return normalised


def parse_job_id(sf_id: str) -> str:
    """An 18-character job id from user input, or InvalidIdError with a one-line reason."""
    return _parse(sf_id, JOB_PREFIX, "job")


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
