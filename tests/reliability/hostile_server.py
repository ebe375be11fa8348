"""A hostile HTTP/1.1 server on loopback that is not the emulator: raw sockets, so a probe
controls every byte (a body trickled a byte at a time, a reset after reading the request,
header values no RFC allows). Each probe gives it one ``Route`` function."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    trickle: float | None = None  # seconds between single bytes of the body, forever
    reset: bool = False  # read the request, then reset the connection (no answer)


Route = Callable[[Request], Answer]


def json_answer(body: str | bytes, status: int = 200, **extra: bytes) -> Answer:
    raw = body.encode() if isinstance(body, str) else body
    headers = [(b"Content-Type", b"application/json")]
    headers += [(k.replace("_", "-").encode(), v) for k, v in extra.items()]
    return Answer(status, headers, raw)


def xml_answer(body: str | bytes, status: int = 200) -> Answer:
    raw = body.encode() if isinstance(body, str) else body
    return Answer(status, [(b"Content-Type", b"application/xml")], raw)


class HostileServer:
    """``with HostileServer(route) as server: server.url``; ``server.requests`` counts them."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[Request] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            socket.create_connection(self._sock.getsockname(), timeout=1).close()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            conn, _ = self._sock.accept()
            if self._stop.is_set():
                conn.close()
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            reader = conn.makefile("rb")
            for request in _requests(reader):
                self.requests.append(request)
                answer = self.route(request)
                if answer.reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                try:
                    self._write(conn, answer)
                except OSError:
                    return
                if answer.trickle is not None:
                    return

    def _write(self, conn: socket.socket, answer: Answer) -> None:
        head = [f"HTTP/1.1 {answer.status} X".encode()]
        head += [k + b": " + v for k, v in answer.headers]
        if answer.trickle is None:
            head.append(b"Content-Length: " + str(len(answer.body)).encode())
            conn.sendall(b"\r\n".join(head) + b"\r\n\r\n" + answer.body)
            return
        head.append(b"Content-Length: 1000000")
        conn.sendall(b"\r\n".join(head) + b"\r\n\r\n")
        while not self._stop.is_set():
            conn.sendall(b" ")
            time.sleep(answer.trickle)


def _requests(reader: object) -> Iterator[Request]:
    read = reader.readline  # type: ignore[attr-defined]
    while True:
        line = read()
        if not line:
            return
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := read()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        size = int(headers.get("content-length", "0") or 0)
        body = reader.read(size) if size else b""  # type: ignore[attr-defined]
        yield Request(method, path, headers, body)
