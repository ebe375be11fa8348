"""A stand-in ``sf`` executable for the tests, printing the documented ``--json`` output of a
current CLI (plugin-org ≥ 5.11.1: ``org display`` redacts the token, ``org auth
show-access-token`` exists) or an older one (token in ``org display``, no such command).

Its state (the org's token, instance URL, user, and which CLI to imitate) is a JSON file the
test writes: ``FAKE_SF_STATE``. Every run is logged to ``FAKE_SF_LOG`` (arguments only).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

REDACTED = "[REDACTED] Use 'sf org auth show-access-token' to view"

SCRIPT = """#!{python}
import json, os, sys
state = json.load(open(os.environ["FAKE_SF_STATE"]))
args = [a for a in sys.argv[1:] if a != "--json"]
with open(os.environ["FAKE_SF_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
alias = args[args.index("--target-org") + 1] if "--target-org" in args else None
def out(obj, code=0):
    print(json.dumps(obj, indent=2))
    sys.exit(code)
if alias != state["alias"]:
    out({{"status": 1, "name": "NamedOrgNotFoundError",
         "message": "No authorization information found for " + str(alias) + ".",
         "exitCode": 1, "warnings": []}}, 1)
if state.get("logged_out"):
    msg = ('No access token found for "' + state["username"]
           + '". The org may need to be re-authenticated.')
    out({{"status": 1, "name": "NoAccessTokenError", "message": msg, "exitCode": 1}}, 1)
if args[:2] == ["org", "display"]:
    token = state["token"] if state["cli"] == "old" else {redacted!r}
    out({{"status": 0, "result": {{
        "id": "00D5g000004xyzAEAQ", "apiVersion": state.get("api_version", "64.0"),
        "accessToken": token, "instanceUrl": state["instance_url"],
        "username": state["username"], "clientId": "PlatformCLI",
        "connectedStatus": "Connected", "alias": alias}}, "warnings": []}})
if args[:3] == ["org", "auth", "show-access-token"]:
    if state["cli"] == "old":
        out({{"status": 127, "name": "CommandNotFoundError",
             "message": "Command org:auth:show-access-token not found.", "exitCode": 127}}, 127)
    out({{"status": 0, "result": {{"accessToken": state["token"]}}, "warnings": []}})
out({{"status": 1, "message": "unexpected arguments " + " ".join(args)}}, 1)
"""


class FakeSf:
    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.state_file = root / "sf-state.json"
        self.log_file = root / "sf-calls.log"
        self.log_file.write_text("")
        exe = self.bin / "sf"
        exe.write_text(SCRIPT.format(python=sys.executable, redacted=REDACTED))
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)

    def set(self, **state: object) -> None:
        current = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        current.update(state)
        self.state_file.write_text(json.dumps(current))

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_SF_STATE": str(self.state_file),
            "FAKE_SF_LOG": str(self.log_file),
        }

    def calls(self) -> list[str]:
        return [line for line in self.log_file.read_text().splitlines() if line]
