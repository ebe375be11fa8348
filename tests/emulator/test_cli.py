"""``bulktui emulator``: one JSON ready line, serves, exits 0 on SIGTERM or SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulktui", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    return out, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_serves_and_exits_zero(sig: int) -> None:
    proc, ready = _start()
    try:
        assert set(ready) == {"instance_url", "session_id", "username", "password", "api_version"}
        assert ready["instance_url"].startswith("http://127.0.0.1:")
        r = httpx.get(
            f"{ready['instance_url']}/services/data/v{ready['api_version']}/jobs/ingest",
            headers={"Authorization": f"Bearer {ready['session_id']}"},
        )
        assert r.status_code == 200
    finally:
        out, err = _stop(proc, sig)
    assert out == ""  # nothing but the ready line on stdout
    assert err == ""  # and the access log is off


def test_tls_demo_manual_clock() -> None:
    proc, ready = _start("--tls", "--seed", "demo", "--manual-clock", "--rate", "500")
    try:
        assert ready["instance_url"].startswith("https://127.0.0.1:")
        url = ready["instance_url"]
        with httpx.Client(
            verify=__import__("ssl").create_default_context(cafile=ready["ca_file"])
        ) as c:
            r = c.get(
                f"{url}/services/data/v64.0/jobs/query",
                headers={"Authorization": f"Bearer {ready['session_id']}"},
            )
            assert len(r.json()["records"]) >= 35
            assert c.post(f"{url}/_emulator/clock", json={"advance_seconds": 5}).status_code == 200
    finally:
        _stop(proc)


def test_non_default_host_warns() -> None:
    # 127.0.0.2 is still loopback, but not the default: the warning must show.
    proc, ready = _start("--host", "127.0.0.2")
    _, err = _stop(proc)
    assert ready["instance_url"].startswith("http://127.0.0.2:")
    assert "credentials are public" in err


@pytest.mark.parametrize(
    ("spec", "says"), [("nope=1", "unknown fault"), ("seed=inf", "not a finite number")]
)
def test_bad_faults_spec_is_a_usage_error(spec: str, says: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bulktui", "emulator", "--faults", spec],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
