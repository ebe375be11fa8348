"""Real sockets and real processes on loopback: the emulator as a subprocess (killed and
restarted on the same port), a tiny CONNECT proxy, and the console in a pseudo-terminal with
every byte it writes captured."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_DROPPED = ("NO_COLOR", "TEXTUAL_THEME", "PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")


def child_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for a bulktui child: no inherited BULKTUI_*/proxy/keyring settings, XDG
    dirs under ``home`` when given, a file keyring (never the real one)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BULKTUI_", "XDG_"))
        and k.lower() not in ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
        and k not in _DROPPED
    }
    if home is not None:
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_STATE_HOME=str(home / ".local" / "state"),
            XDG_CACHE_HOME=str(home / ".cache"),
        )
    env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    env.update(extra)
    return env


# ------------------------------------------------------------------------- emulator process


@dataclass
class EmulatorProcess:
    """``python -m bulktui emulator --port P`` as a child process; ``ready`` is its JSON line."""

    port: int
    args: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    ready: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return str(self.ready["instance_url"])

    def start(self, timeout: float = 20.0) -> EmulatorProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bulktui", "emulator", "--port", str(self.port), *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(),
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            raise RuntimeError("the emulator did not print its ready line")
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else b""
            raise RuntimeError(f"the emulator exited: {err.decode(errors='replace')}")
        self.ready = json.loads(line)
        return self

    def control(self, path: str, body: object | None = None) -> Any:
        content = body if isinstance(body, str) else json.dumps(body or {})
        reply = httpx.post(f"{self.url}/_emulator/{path}", content=content, timeout=10)
        reply.raise_for_status()
        return reply.json()

    def stats(self) -> dict[str, int]:
        reply = httpx.get(f"{self.url}/_emulator/stats", timeout=10)
        reply.raise_for_status()
        routes: dict[str, int] = reply.json()["routes"]
        return routes

    def kill(self) -> None:
        """SIGKILL: no goodbye, sockets dropped mid-flight."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
        self.proc = None


@contextlib.contextmanager
def emulator_process(*args: str, port: int | None = None) -> Iterator[EmulatorProcess]:
    emu = EmulatorProcess(port or free_port(), args).start()
    try:
        yield emu
    finally:
        emu.kill()


# ------------------------------------------------------------------------- CONNECT proxy


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that tunnels bytes and counts tunnels. It sees only
    ciphertext, as a corporate proxy would: TLS is between the client and the origin. ``hosts``
    maps names only the proxy can resolve (as on a real network) to addresses."""

    def __init__(self, hosts: Mapping[str, str] | None = None) -> None:
        self.hosts = dict(hosts or {})
        self.tunnels = 0
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port = int(self._server.getsockname()[1])
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._server.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode()
            method, target, _ = line.split(" ", 2)
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            host, port = target.rsplit(":", 1)
            try:
                address = self.hosts.get(host, host)
                upstream = socket.create_connection((address, int(port)), timeout=10)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            self.tunnels += 1
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with upstream:
                socks = [client, upstream]
                while True:
                    readable, _, _ = select.select(socks, [], [], 10)
                    if not readable:
                        return
                    for s in readable:
                        try:
                            data = s.recv(65536)
                            if not data:
                                return
                            (upstream if s is client else client).sendall(data)
                        except OSError:  # either side reset: the tunnel is over, as a proxy's
                            return


# ------------------------------------------------------------------------- pseudo-terminal


@dataclass
class PtySession:
    """A child process on a pseudo-terminal; ``output`` holds every byte it wrote."""

    proc: subprocess.Popen[bytes]
    master: int
    output: bytearray = field(default_factory=bytearray)

    def pump(self, seconds: float) -> None:
        """Read whatever arrives for ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if readable:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    return
                if not chunk:
                    return
                self.output += chunk

    def wait_for(self, predicate: Callable[[bytes], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(bytes(self.output)):
                return True
            self.pump(0.1)
            if self.proc.poll() is not None:
                self.pump(0.2)
                return predicate(bytes(self.output))
        return predicate(bytes(self.output))

    def send(self, data: str | bytes, settle: float = 0.3) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)
        self.pump(settle)

    def close(self, timeout: float = 10.0) -> int:
        """Wait for the child (after ``q``) and read what is left; kill it if it hangs."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.pump(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait(timeout=10)
        self.pump(0.2)
        os.close(self.master)
        return code


def spawn_in_pty(
    argv: list[str], env: Mapping[str, str], size: tuple[int, int] = (120, 40)
) -> PtySession:
    """Start ``argv`` with a pty as its stdin, stdout and stderr (TERM from ``env``)."""
    master, slave = os.openpty()
    cols, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(env),
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    return PtySession(proc, master)


def pty_main(argv: list[str], env: Mapping[str, str]) -> tuple[int, bytes]:
    """Run a short command on a pty (no input) and return its exit code and output."""
    session = spawn_in_pty(argv, env)
    code = session.close(timeout=30)
    return code, bytes(session.output)


def scrub(term_bytes: bytes) -> str:
    """Terminal output as text with escape sequences removed (to look for visible words)."""
    import re

    text = term_bytes.decode("utf-8", errors="replace")
    text = re.sub(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)", "", text)  # OSC
    text = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", text)  # CSI
    text = re.sub(r"\x1b[@-Z\\-_]", "", text)
    return text


def pty_available() -> bool:
    try:
        master, slave = pty.openpty()
    except OSError:
        return False
    os.close(master)
    os.close(slave)
    return True
