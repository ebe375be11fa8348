"""``bulktui emulator``: serve the local Salesforce Bulk API emulator.

Prints exactly one JSON line on stdout once it is ready (instance_url, session_id, username,
password, api_version, and ca_file with --tls), then serves until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
from typing import Any

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "emulator",
        help="serve a local Salesforce Bulk API emulator",
        description="Serve a faithful local Salesforce Bulk API 1.0 and 2.0 emulator. Prints one "
        "JSON line with its URL and credentials when ready; stops on SIGINT or SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--seed", choices=("demo", "empty"), default="empty", help="initial org contents"
    )
    parser.add_argument("--faults", default=None, metavar="SPEC",
                        help="e.g. latency=50,http503=0.1,reset=0.05,expire-sessions-every=300")
    parser.add_argument("--manual-clock", action="store_true",
                        help="time only moves through POST /_emulator/clock")
    parser.add_argument("--tls", action="store_true", help="serve https with a generated CA")
    parser.add_argument("--rate", type=float, default=None, metavar="N",
                        help="records processed per second per batch (default 2000)")
    parser.set_defaults(handler=run_emulator)


def run_emulator(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from bulktui.cli.common import UsageError
    from bulktui.emulator import EmulatorServer, Engine, EngineConfig, FaultSpec
    from bulktui.emulator.clock import Clock, ManualClock, SystemClock
    from bulktui.emulator.demo import seed_demo

    try:
        faults = FaultSpec.parse(args.faults) if args.faults else None
    except ValueError as exc:
        raise UsageError(f"--faults: {exc}") from None
    if args.rate is not None and args.rate <= 0:
        raise UsageError("--rate must be positive")
    config = EngineConfig()
    if args.rate is not None:
        config = replace(config, records_per_second=args.rate)
    clock: Clock = ManualClock(SystemClock().now()) if args.manual_clock else SystemClock()
    engine = Engine(clock, config)
    if args.seed == "demo":
        seed_demo(engine, random.Random(7))
    if args.host not in LOOPBACK:
        print(
            f"bulktui emulator: warning: listening on {args.host}; its credentials are public, "
            "so anyone who can reach this port can use it",
            file=sys.stderr,
        )
    server = EmulatorServer(engine, host=args.host, port=args.port, faults=faults, tls=args.tls)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {exc}") from None
    try:
        ready: dict[str, str] = {
            "instance_url": server.url,
            "session_id": engine.issue_session(),
            "username": engine.login.username,
            "password": engine.login.password,
            "api_version": config.api_version,
        }
        if server.ca_file:
            ready["ca_file"] = server.ca_file
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0
