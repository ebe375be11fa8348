"""What a console launch loads before its first paint (issues 11 and 13: start-up figures).

The job list paints from the journal before any request goes out, so nothing on that path may
load the network stack (httpx, httpcore: about 0.2 s) or the machinery of commands that are not
running (login, watch). These tests fail when an eager import comes back; the figures
themselves are in bench/bench_console.py.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

from bulktui.cli import SUBCOMMAND_MODULES, build_parser
from bulktui.emulator import EmulatorServer, Engine
from bulktui.emulator.demo import seed_demo


def _run(script: str, tmp_path: Path, **env: str) -> dict[str, object]:
    """``script`` in a fresh process (what a launch loads is per process)."""
    home = {
        k: str(tmp_path / k)
        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **home, "BULKTUI_JOURNAL": str(tmp_path / "journal.sqlite3"), **env},
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_console_loads_the_network_stack_with_its_first_request(tmp_path: Path) -> None:
    engine = Engine()
    seed_demo(engine, random.Random(7))
    with EmulatorServer(engine, host="127.0.0.1", port=0) as server:
        result = _run(
            """
            import asyncio, json, os, sys
            from bulktui.cli import build_parser
            from bulktui.cli.console_cmd import org_backend

            argv = ["--instance-url", os.environ["EMULATOR_URL"]]
            args = build_parser(argv).parse_args(argv)
            backend = org_backend(args)
            import bulktui.ui.app

            def loaded(*prefixes):
                return sorted(m for m in sys.modules if m.startswith(prefixes))

            before = loaded("httpx", "httpcore")
            commands = [m for m in loaded("bulktui.cli.") if m.endswith("_cmd")]
            screens = loaded("bulktui.ui.screens.")

            async def first_request():
                try:
                    return len(await backend.client.list_jobs())
                finally:
                    await backend.aclose()

            listed = asyncio.run(first_request())
            print(json.dumps({
                "before": before, "commands": commands, "screens": screens,
                "listed": listed, "after": "httpx" in sys.modules,
            }))
            """,
            tmp_path,
            EMULATOR_URL=server.url,
            BULKTUI_SESSION_ID=engine.issue_session(),
        )
    assert result["before"] == []
    # console_cmd itself, and history_cmd for the journal's options; never login or watch.
    assert result["commands"] == ["bulktui.cli.console_cmd", "bulktui.cli.history_cmd"]
    assert result["screens"] == [  # a job's detail and its failed records load on Enter
        "bulktui.ui.screens.early_keys",
        "bulktui.ui.screens.filtered_table",
        "bulktui.ui.screens.main",
        "bulktui.ui.screens.too_small",
    ]
    assert isinstance(result["listed"], int) and result["listed"] > 0
    assert result["after"] is True


def test_a_command_named_anywhere_gets_its_whole_parser() -> None:
    # "jobs" is here a profile's name, and history is the command: both modules load.
    args = build_parser(["--profile", "jobs", "history", "--since", "3d"]).parse_args(
        ["--profile", "jobs", "history", "--since", "3d"]
    )
    assert args.profile == "jobs"
    assert args.since is not None


def test_the_command_table_names_what_each_module_registers() -> None:
    """SUBCOMMAND_MODULES is what lets a launch skip a module: it must not drift from the
    modules' own ``register``."""
    import argparse
    import importlib

    for module, commands in SUBCOMMAND_MODULES.items():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(module).register(sub)
        assert tuple(sub.choices) == commands, module
