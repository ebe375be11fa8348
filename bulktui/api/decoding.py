"""Response bodies read under a cap on *decoded* bytes, whatever the Content-Encoding chain.

httpx decodes each received chunk in one go, so a 3.5 KB ``Content-Encoding: gzip, gzip``
answer becomes gigabytes before any cap can look at it. Here the raw bytes are decoded in
steps of at most ``_STEP`` output bytes per stage, lazily through the chain, and reading stops
as soon as the decoded total passes the cap. Only gzip and deflate are asked for (the
``Accept-Encoding`` we send) and only they (and identity) are accepted.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from bulktui.api.errors import ResponseFormatError

if TYPE_CHECKING:
    import httpx

ACCEPT_ENCODING = "gzip, deflate"
_STEP = 64 * 1024  # decoded bytes produced per decompress call and stage


class _Inflate:
    """One gzip or deflate stage, producing output in bounded steps."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # deflate is zlib-wrapped by the RFC but raw in some servers: decided on first bytes.
        self._wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
        self._z = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._z.decompress(data, _STEP)
            except zlib.error:
                if self.encoding == "deflate" and not self._started:
                    self._wbits = -zlib.MAX_WBITS
                    self._z = zlib.decompressobj(self._wbits)
                    self._started = True
                    continue
                raise ResponseFormatError(f"the body is not valid {self.encoding} data") from None
            self._started = True
            if out:
                yield out
            if self._z.eof:
                # gzip allows several members one after the other
                data = self._z.unused_data
                self._z = zlib.decompressobj(self._wbits)
            else:
                data = self._z.unconsumed_tail

    def flush(self) -> Iterator[bytes]:
        tail = self._z.flush(_STEP)
        if tail:
            yield tail


def _stages(content_encoding: str) -> list[_Inflate]:
    """Decoders in the order to apply them (the reverse of the header's)."""
    names = [n.strip().lower() for n in content_encoding.split(",")]
    stages = []
    for name in reversed([n for n in names if n and n != "identity"]):
        if name not in ("gzip", "x-gzip", "deflate"):
            raise ResponseFormatError(f"unsupported Content-Encoding {name[:40]!r}")
        stages.append(_Inflate("gzip" if name == "x-gzip" else name))
    if len(stages) > 4:
        raise ResponseFormatError("more than 4 Content-Encodings")
    return stages


def _through(stages: list[_Inflate], data: bytes) -> Iterator[bytes]:
    if not stages:
        if data:
            yield data
        return
    first, rest = stages[0], stages[1:]
    for piece in first.feed(data):
        yield from _through(rest, piece)


def _flush(stages: list[_Inflate]) -> Iterator[bytes]:
    for i, stage in enumerate(stages):
        for piece in stage.flush():
            yield from _through(stages[i + 1 :], piece)


async def decoded_pieces(response: httpx.Response) -> AsyncIterator[bytes]:
    """The decoded body of a streamed response in pieces of at most 64 KiB, however small
    the compressed input: for bodies read as streams, whose reader bounds what it holds."""
    if response.is_stream_consumed:
        content = response.content
        for start in range(0, len(content), _STEP):
            yield content[start : start + _STEP]
        return
    stages = _stages(response.headers.get("content-encoding", ""))
    async for raw in response.aiter_raw():
        for start in range(0, len(raw), _STEP):
            for piece in _through(stages, raw[start : start + _STEP]):
                yield piece
    for piece in _flush(stages):
        yield piece


async def capped_chunks(response: httpx.Response, cap: int) -> AsyncIterator[bytes]:
    """The decoded body of a streamed response, chunk by chunk; ResponseFormatError as soon
    as more than ``cap`` decoded bytes (or raw bytes) have arrived."""
    if response.is_stream_consumed:
        # A response built in memory (httpx reads bytes content at construction, as in
        # MockTransport): already decoded, nothing left to bound but its size.
        if len(response.content) > cap:
            raise ResponseFormatError(f"response body is over the {cap:,}-byte cap")
        yield response.content
        return
    stages = _stages(response.headers.get("content-encoding", ""))
    size = raw_size = 0

    def counted(piece: bytes) -> bytes:
        nonlocal size
        size += len(piece)
        if size > cap:
            raise ResponseFormatError(f"response body is over the {cap:,}-byte cap")
        return piece

    async for raw in response.aiter_raw():
        raw_size += len(raw)
        if raw_size > cap:
            raise ResponseFormatError(f"response body is over the {cap:,}-byte cap")
        for piece in _through(stages, raw):
            yield counted(piece)
    for piece in _flush(stages):
        yield counted(piece)


async def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The whole decoded body, refusing anything over ``cap`` without reading the rest."""
    return b"".join([chunk async for chunk in capped_chunks(response, cap)])
