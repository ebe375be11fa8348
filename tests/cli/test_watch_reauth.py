"""``bulktui watch --profile`` renews its session as the console does: the emulator expires every
session every 2 s, and the watcher logs in again each time without a word to its output (no
link event, no traceback). Secrets come from a throwaway PlaintextKeyring under tmp_path."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bulktui.emulator.demo import seed_demo
from bulktui.emulator.engine import Engine
from bulktui.emulator.faults import FaultSpec
from bulktui.emulator.server import EmulatorServer

DEADLINE = 90.0  # a hang guard, not a measurement
SOAP_LOGIN = "POST /services/Soap/u/{v}"
BULKTUI = (sys.executable, "-m", "bulktui")
LOGIN = ("login", "--profile", "p", "--method", "password", "--login-url")
WATCH = ("--json", "--interval", "1")


def isolated(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BULKTUI_") and k not in ("DBUS_SESSION_BUS_ADDRESS",)
    }
    home = tmp_path / "home"
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
    )
    return env


def test_the_watcher_logs_in_again_when_sessions_expire(tmp_path: Path) -> None:
    engine = Engine()
    seed_demo(engine, random.Random(7))
    server = EmulatorServer(engine, faults=FaultSpec.parse("expire-sessions-every=2")).start()
    env = isolated(tmp_path)
    login = engine.login
    try:
        done = subprocess.run(
            [*BULKTUI, *LOGIN, server.url, "--username", login.username, "--secret-stdin"],
            input=f"{login.password}\n{login.security_token}\n",
            capture_output=True,
            text=True,
            env=env,
            start_new_session=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        rules = tmp_path / "g.toml"
        rules.write_text('[[rule]]\nname = "f"\nwhen = "failed > 1"\naction = "flag"\n')
        before = engine.stats[SOAP_LOGIN]
        watch = subprocess.Popen(
            [*BULKTUI, "watch", "--profile", "p", "--rules", str(rules), *WATCH],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        end = time.monotonic() + DEADLINE
        while engine.stats[SOAP_LOGIN] < before + 3 and time.monotonic() < end:
            time.sleep(0.2)
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=DEADLINE)
    finally:
        server.stop()
    assert engine.stats[SOAP_LOGIN] >= before + 3, "the watcher never logged in again"
    events = [json.loads(line) for line in out.splitlines()]
    assert watch.returncode == 0 and "Traceback" not in err, err
    assert any(e["event"] == "rule_fired" for e in events)
    links = [e["message"] for e in events if e["event"] == "link"]
    assert links[0].startswith("watching ") and links[-1].endswith("(SIGTERM)")
    assert not [m for m in links[1:-1] if "stale" in m], links  # never lost the org
    assert login.password not in out + err and login.security_token not in out + err
