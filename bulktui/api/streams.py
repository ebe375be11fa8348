"""Reading a large answer body as it arrives: bounded decoding and one-line failures.

Result sets (2.0 ``failedResults``, query results) can be gigabytes, so they are not read
whole like other answers. ``open_stream`` sends the GET through the same exchange rules as
every request (re-authentication, retries until the answer's headers arrive); ``BodyStream``
then hands out the body in pieces of at most ``PIECE_BYTES`` decoded bytes, whatever the
``Content-Encoding`` says: each compression layer is inflated with an output limit, so a small
compressed body cannot expand in memory. Once the body has started, nothing is resent (the
reader has already used part of it): a broken stream is a ``TransportError`` that says so.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Self

from bulktui.api.errors import ResponseFormatError, TransportError
from bulktui.api.exchange import Exchanger, Root
from bulktui.api.redact import redact

if TYPE_CHECKING:
    import httpx

__all__ = ["PIECE_BYTES", "BodyStream", "open_stream"]

PIECE_BYTES = 64 * 1024  # the most one decoding step hands out at once
MAX_ENCODINGS = 2  # gzip inside gzip is legal; more is only ever an attack


async def open_stream(
    exchanger: Exchanger,
    root: Root,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    accept: str = "text/csv",
    what: str = "results",
) -> BodyStream:
    """The answer to a GET whose body is read as a stream; an error answer is raised as the
    ApiError it describes. Use ``async with await open_stream(...) as body``."""
    reply = await exchanger.exchange("GET", root, path, params=params, stream=True, accept=accept)
    if reply.stream is None:
        reply.check()  # an error answer: raises what the server said
        # A 2xx answer that came back read (an HTML page the exchange judged): not a CSV body.
        raise ResponseFormatError(f"the {what} answer was not a data stream")
    return BodyStream(reply.stream, what)


class BodyStream:
    """One streamed answer body. Close it (``async with``) even when not read to the end."""

    def __init__(self, response: httpx.Response, what: str) -> None:
        self._response = response
        self._what = what
        self.bytes_read = 0  # decoded bytes handed out so far

    @property
    def headers(self) -> httpx.Headers:
        return self._response.headers

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._response.aclose()

    async def pieces(self) -> AsyncIterator[bytes]:
        """The decoded body in pieces of at most ``PIECE_BYTES``."""
        if self._response.is_stream_consumed:
            # Already read by the transport (an in-process one does): decoded and whole.
            content = self._response.content
            for start in range(0, len(content), PIECE_BYTES):
                piece = content[start : start + PIECE_BYTES]
                self.bytes_read += len(piece)
                yield piece
            return
        import httpx  # loaded already: the answer came through it

        layers = _layers(self._response.headers.get("content-encoding", ""), self._what)
        try:
            async for raw in self._response.aiter_raw():
                for start in range(0, len(raw), PIECE_BYTES):
                    for piece in _inflate(layers, raw[start : start + PIECE_BYTES], self._what):
                        self.bytes_read += len(piece)
                        yield piece
        except (httpx.HTTPError, OSError) as exc:
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise TransportError(
                redact(
                    f"the {self._what} stream broke after {self.bytes_read:,} bytes "
                    f"({type(exc).__name__}: {text})"
                )
            ) from None
        for piece in _finish(layers, self._what):
            self.bytes_read += len(piece)
            yield piece


def _layers(content_encoding: str, what: str) -> list[zlib._Decompress]:
    """One inflater per coding, outermost first (the header lists them in the order applied)."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if len(codings) > MAX_ENCODINGS:
        raise ResponseFormatError(f"the {what} answer is encoded {len(codings)} times; refused")
    layers = []
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            layers.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
        elif coding == "deflate":
            layers.append(zlib.decompressobj(zlib.MAX_WBITS))
        else:
            raise ResponseFormatError(f"the {what} answer uses an unknown encoding {coding!r}")
    return layers


def _inflate(layers: list[zlib._Decompress], data: bytes, what: str) -> Iterator[bytes]:
    """``data`` through every layer, no step handing out more than ``PIECE_BYTES``."""
    if not layers:
        if data:
            yield data
        return
    first, rest = layers[0], layers[1:]
    pending = data
    while pending:
        try:
            out = first.decompress(pending, PIECE_BYTES)
        except zlib.error as exc:
            raise ResponseFormatError(
                f"the {what} answer is not valid compressed data: {exc}"
            ) from None
        pending = first.unconsumed_tail
        if out:
            yield from _inflate(rest, out, what)
        if first.eof:
            break


def _finish(layers: list[zlib._Decompress], what: str) -> Iterator[bytes]:
    """Nothing more to hand out, but a compressed body that stops short is a broken stream."""
    if any(not layer.eof for layer in layers):
        raise TransportError(f"the {what} answer ended in the middle of its compressed data")
    return iter(())
