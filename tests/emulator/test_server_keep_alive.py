"""The served emulator keeps an idle connection open past 5 s.

uvicorn's default closes it after 5 s, the very moment httpx (which keeps it 5 s) and a
console polling every 5 s reuse it: now and then a request failed after it was sent, and the
demo's header said "degraded" on a healthy loopback link. This test waits 5.5 s on purpose.
"""

from __future__ import annotations

import socket
import time

from bulktui.emulator.engine import Engine
from bulktui.emulator.server import EmulatorServer

REQUEST = b"GET /services/data/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _answer(conn: socket.socket) -> bytes:
    """One exchange on ``conn``: the status line and headers, the body read to its end (so
    the next answer starts at its own status line); b"" when the server closed."""
    conn.sendall(REQUEST)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return head


def test_an_idle_connection_is_still_served_after_the_clients_keep_alive() -> None:
    with (
        EmulatorServer(Engine()) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn,
    ):
        assert _answer(conn).startswith(b"HTTP/1.1 200")
        time.sleep(5.5)  # past uvicorn's default idle time, and httpx's keep-alive
        assert _answer(conn).startswith(b"HTTP/1.1 200")
