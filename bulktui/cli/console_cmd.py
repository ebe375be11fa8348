"""``bulktui`` with no subcommand: open the console."""

from __future__ import annotations

import argparse

from bulktui.cli.common import UsageError


def run_console(args: argparse.Namespace) -> int:
    raise UsageError("the console is not built yet; try `bulktui emulator --seed demo`")
