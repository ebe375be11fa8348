"""Helpers for the end-to-end credential tests: an emulator on loopback with a JWT key pair,
and running the ``bulktui`` CLI in process with stdin fed and output captured."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import httpx

from bulktui.emulator.clock import Clock
from bulktui.emulator.config import EngineConfig, LoginConfig
from bulktui.emulator.engine import Engine
from bulktui.emulator.server import EmulatorServer

SOAP = "POST /services/Soap/u/{v}"
TOKEN = "POST /services/oauth2/token"


@cache
def key_pair() -> tuple[str, str]:
    """(private key PEM, public key PEM), made once per test run."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def make_engine(clock: Clock | None = None, **engine_options: object) -> Engine:
    login = LoginConfig(jwt_public_key_pem=key_pair()[1], require_security_token=True)
    config = EngineConfig(login=login, **engine_options)  # type: ignore[arg-type]
    return Engine(clock=clock, config=config)


@dataclass
class Emu:
    engine: Engine
    server: EmulatorServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def login(self) -> LoginConfig:
        return self.engine.login

    def logins(self) -> int:
        """Every login the emulator answered: SOAP login() and token-endpoint calls."""
        return self.engine.stats[SOAP] + self.engine.stats[TOKEN]

    def control(self, path: str, body: object | None = None) -> dict[str, object]:
        response = httpx.post(f"{self.url}/_emulator/{path}", json=body or {})
        response.raise_for_status()
        data: dict[str, object] = response.json()
        return data

    def session(self) -> str:
        return str(self.control("session")["session_id"])

    def refresh_token(self) -> str:
        return str(self.control("refresh-token")["refresh_token"])


@contextlib.contextmanager
def running_emulator(**engine_options: object) -> Iterator[Emu]:
    engine = make_engine(**engine_options)
    server = EmulatorServer(engine).start()
    try:
        yield Emu(engine, server)
    finally:
        server.stop()


@dataclass
class Result:
    code: int
    out: str
    err: str
    secrets_seen: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(*argv: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
    """``bulktui ARGV`` in this process: stdin fed from a string, stdout/stderr captured."""
    from bulktui.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Result(code, out.getvalue(), err.getvalue())


def grep_tree(root: Path, needles: list[str]) -> list[str]:
    """Every file under root that contains one of the needles (as text or bytes)."""
    hits = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for needle in needles:
            if needle and needle.encode() in data:
                hits.append(f"{path}: {needle[:6]}…")
    return hits
