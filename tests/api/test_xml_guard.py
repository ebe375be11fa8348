"""Issue 12 item 16: every XML document, whatever its encoding, passes the same DTD guard
(wire.refuse_dtd), for xmltodict (load_xml) and ElementTree (parse_xml_element, used by the
SOAP login) alike."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

import pytest

from bulktui.api import wire
from bulktui.api.errors import ResponseFormatError

LAUGHS = (
    '<?xml version="1.0" encoding="{enc}"?>'
    '<!DOCTYPE r [<!ENTITY a "lollollollollollollollollollol">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    "<loginResponse><sessionId>&b;</sessionId></loginResponse>"
)
EXTERNAL = (
    '<?xml version="1.0" encoding="{enc}"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><loginResponse/>'
)
PLAIN = (
    '<?xml version="1.0" encoding="{enc}"?><loginResponse><sessionId>ok</sessionId></loginResponse>'
)

ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda t: t.format(enc="UTF-8").encode("utf-8"),
    "utf-16-bom": lambda t: t.format(enc="UTF-16").encode("utf-16"),
    "utf-16le-no-bom": lambda t: t.format(enc="UTF-16").encode("utf-16-le"),
    "utf-16be-no-bom": lambda t: t.format(enc="UTF-16").encode("utf-16-be"),
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.format(enc="UTF-8").encode(),
    "latin-1": lambda t: t.format(enc="ISO-8859-1").encode("latin-1"),
}
PARSERS: dict[str, Callable[[bytes], Any]] = {
    "xmltodict": wire.load_xml,
    "elementtree": wire.parse_xml_element,
}


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("template", [LAUGHS, EXTERNAL], ids=["entities", "external"])
def test_a_dtd_is_refused_in_every_encoding(parser: str, encoding: str, template: str) -> None:
    with pytest.raises(ResponseFormatError, match="DTD or entity"):
        PARSERS[parser](ENCODINGS[encoding](template))


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_plain_document_parses_in_every_encoding(parser: str, encoding: str) -> None:
    assert PARSERS[parser](ENCODINGS[encoding](PLAIN)) is not None


def test_no_xml_parse_outside_wire() -> None:
    """Every XML parse in bulktui goes through wire.py (the emulator, auth and the client)."""
    from pathlib import Path

    import bulktui

    root = Path(bulktui.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "wire.py"
        and any(
            needle in path.read_text()
            for needle in ("ET.fromstring", "xmltodict.parse", "ET.parse(", "expat.ParserCreate")
        )
    ]
    assert offenders == []
