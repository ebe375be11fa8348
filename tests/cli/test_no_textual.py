"""One-shot commands never load Textual: a cron job must not pay for the console.

(rich may be loaded: httpx imports it for its own command line when it is installed.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path


def test_one_shot_commands_do_not_import_textual(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import contextlib, io, json, os, sys
        from bulktui.emulator import EmulatorServer, Engine
        from bulktui.emulator.demo import seed_demo
        import random

        engine = Engine()
        seed_demo(engine, random.Random(7))
        with EmulatorServer(engine, host="127.0.0.1", port=0) as server:
            os.environ["BULKTUI_SESSION_ID"] = engine.issue_session()
            from bulktui.cli import main
            url = ["--instance-url", server.url]
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                codes = [main(["jobs", "--json", *url])]
            job_id = json.loads(out.getvalue())[0]["id"]
            with contextlib.redirect_stdout(io.StringIO()):
                codes += [main(["jobs", *url]), main(["show", job_id, *url])]
        loaded = sorted(m for m in sys.modules if m.split(".")[0] == "textual")
        print(json.dumps({"codes": codes, "loaded": loaded}))
        """
    )
    home = {
        k: str(tmp_path / k)
        for k in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **home},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["codes"] == [0, 0, 0]
    assert result["loaded"] == []
