"""``EmulatorServer``: uvicorn serving the emulator from a background thread."""

from __future__ import annotations

import logging
import shutil
import threading
import time

import uvicorn

from bulktui.emulator.app import create_app
from bulktui.emulator.engine import Engine
from bulktui.emulator.faults import ConnectionAborted, FaultSpec
from bulktui.emulator.tls import TlsFiles, generate


class _DropDeliberateResets(logging.Filter):
    """The ``reset`` fault aborts connections on purpose; that is not an error worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionAborted)


KEEP_ALIVE_SECONDS = 75  # how long an idle connection stays open (nginx's default)


class EmulatorServer:
    def __init__(
        self,
        engine: Engine,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultSpec | None = None,
        tls: bool = False,
    ) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        self.faults = faults
        self.tls = tls
        self._tls_files: TlsFiles | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def ca_file(self) -> str | None:
        return str(self._tls_files.ca_file) if self._tls_files else None

    def start(self, timeout: float = 15.0) -> EmulatorServer:
        if self._server is not None:
            raise RuntimeError("already started")
        if self.tls:
            self._tls_files = generate((self.host,) if self.host not in ("", "0.0.0.0") else ())
        logging.getLogger("uvicorn.error").addFilter(_DropDeliberateResets())
        config = uvicorn.Config(
            create_app(self.engine, self.faults),
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # uvicorn closes an idle connection after 5 s, exactly when httpx (and a console
            # polling every 5 s) reuses it: the request then fails after it was sent. A
            # longer idle time, as production front ends keep, removes that race.
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            ssl_certfile=str(self._tls_files.cert_file) if self._tls_files else None,
            ssl_keyfile=str(self._tls_files.key_file) if self._tls_files else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="bulktui-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator could not start on {self.host}:{self.port}")
            time.sleep(0.01)
        sockets = [s for srv in self._server.servers for s in srv.sockets]
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        if self._tls_files is not None:
            shutil.rmtree(self._tls_files.directory, ignore_errors=True)
            self._tls_files = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
