"""Credentials figures (issue 4).

    python bench/bench_profile_startup.py [--runs 15] [--hours 1] [--expire-every 600]
                                          [--startup-only]

1. **One refresh per expiry.** A simulated watch: the poller runs every 5 s for ``--hours`` of
   emulator time (a ManualClock advanced by hand, so it takes seconds) against the demo org,
   with sessions expiring every ``--expire-every`` seconds (the emulator's
   ``expire-sessions-every`` fault). The emulator counts the logins it answered (SOAP login()
   plus token-endpoint calls) and the expiries; the target is one login per expiry, for the
   oauth, jwt and password methods.
2. **Start-up overhead of a profile.** ``bulktui jobs --profile P`` (profile file, keyring
   read, cached access token) against ``bulktui jobs --instance-url U --session-id S``, each
   as a fresh process against an emulator on loopback, runs interleaved (alternating which goes
   first); the target is a
   median overhead of at most 300 ms. The same for an sf profile (``login --method sf``
   with the stand-in ``sf`` of tests/auth/fake_sf.py, which costs what a Python start costs,
   less than the real CLI's Node start-up): its token is cached in the keyring, so a
   command runs no ``sf`` at all until the token is refused. The keyring is keyrings.alt's
   file backend in a throwaway home unless ``--keyring-backend`` names another (e.g.
   keyring.backends.SecretService.Keyring inside ``dbus-run-session``), or is ``auto``:
   detected the way a user's machine would.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.retry import RetryPolicy
from bulktui.auth.authenticator import Authenticator
from bulktui.auth.profiles import Method, Profile
from bulktui.auth.secrets import SecretKind, SecretStore
from bulktui.core.config import PollerConfig
from bulktui.core.poller import Poller
from bulktui.core.snapshot import Snapshot
from bulktui.emulator.app import create_app
from bulktui.emulator.clock import ManualClock
from bulktui.emulator.config import EngineConfig, LoginConfig
from bulktui.emulator.demo import seed_demo
from bulktui.emulator.engine import Engine
from bulktui.emulator.faults import FaultSpec
from bulktui.emulator.server import EmulatorServer

BASE = "http://127.0.0.1"
LOGIN_ROUTES = ("POST /services/Soap/u/{v}", "POST /services/oauth2/token")


def _key_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


# -- 1. the watch ---------------------------------------------------------------------------


async def watch(
    method: Method, hours: float, expire_every: float, keys: tuple[str, str]
) -> dict[str, float]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = Engine(clock=clock, config=EngineConfig(login=LoginConfig(jwt_public_key_pem=keys[1])))
    seed_demo(engine, random.Random(7))
    expiries = 0
    expire_all = engine.sessions.expire_all

    def counted() -> int:
        nonlocal expiries
        expiries += 1
        return expire_all()

    engine.sessions.expire_all = counted  # type: ignore[method-assign]
    app = create_app(engine, FaultSpec.parse(f"expire-sessions-every={expire_every:g}"))
    transport = httpx.ASGITransport(app=app)
    login = engine.login
    store = SecretStore.memory()
    if method is Method.OAUTH:
        profile = Profile(name="w", method=method, login_url=BASE, client_id=login.client_id)
        store.set(
            "w", SecretKind.REFRESH_TOKEN, engine.sessions.issue_refresh(engine.default_user.id)
        )
    elif method is Method.JWT:
        profile = Profile(
            name="w",
            method=method,
            login_url=BASE,
            client_id=login.client_id,
            username=login.username,
        )
        store.set("w", SecretKind.PRIVATE_KEY, keys[0])
    else:
        profile = Profile(name="w", method=method, login_url=BASE, username=login.username)
        store.set("w", SecretKind.PASSWORD, login.password)
        store.set("w", SecretKind.SECURITY_TOKEN, login.security_token)
    auth = Authenticator(
        profile, store, transport=transport, wall_clock=lambda: clock.now().timestamp()
    )

    async def no_sleep(seconds: float) -> None:
        del seconds

    problems: list[str] = []

    def seen(snapshot: Snapshot) -> None:
        if snapshot.problem:
            problems.append(snapshot.problem)

    connection = await auth.connection()
    before = sum(engine.stats[r] for r in LOGIN_ROUTES)
    requests_before = sum(engine.stats.values())
    cycles = 0
    async with BulkClient(
        connection,
        transport=transport,
        reauthenticate=auth.reauthenticate,
        retry=RetryPolicy(sleep=no_sleep),
    ) as client:
        poller = Poller(client, PollerConfig(interval=5.0), clock=clock)
        poller.add_listener(seen)
        elapsed = 0.0
        while elapsed < hours * 3600:
            await poller.cycle()
            clock.advance(5.0)
            elapsed += 5.0
            cycles += 1
    return {
        "cycles": cycles,
        "requests": sum(engine.stats.values()) - requests_before,
        "expiries": expiries,
        "logins": sum(engine.stats[r] for r in LOGIN_ROUTES) - before,
        "problems": len(problems),
    }


# -- 2. start-up overhead -------------------------------------------------------------------


def startup(runs: int, backend: str | None) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="bulktui-bench-"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "auth"))
    from fake_sf import FakeSf

    sf = FakeSf(home / "sf")
    env = dict(os.environ)
    for name in ("BULKTUI_PROFILE", "BULKTUI_SESSION_ID", "BULKTUI_INSTANCE_URL"):
        env.pop(name, None)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_STATE_HOME=str(home / ".local/state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHON_KEYRING_BACKEND=backend or "keyrings.alt.file.PlaintextKeyring",
    )
    if backend == "auto":  # let bulktui detect the OS keyring itself
        del env["PYTHON_KEYRING_BACKEND"]
    env.update(sf.env())
    engine = Engine()
    seed_demo(engine, random.Random(7))
    with EmulatorServer(engine) as server:
        refresh = engine.sessions.issue_refresh(engine.default_user.id)
        bulktui = [sys.executable, "-m", "bulktui"]
        login = subprocess.run(
            [
                *bulktui,
                "login",
                "--profile",
                "bench",
                "--method",
                "oauth",
                "--login-url",
                server.url,
                "--client-id",
                engine.login.client_id,
                "--secret-stdin",
            ],
            input=f"\n{refresh}\n",
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if login.returncode != 0:
            raise SystemExit(f"login failed: {login.stderr.strip()}")
        session = engine.issue_session()
        sf.set(
            alias="bench-sf",
            token=engine.issue_session(),
            instance_url=server.url,
            username=engine.login.username,
            cli="current",
        )
        login_sf = subprocess.run(
            [
                *bulktui,
                "login",
                "--profile",
                "benchsf",
                "--method",
                "sf",
                "--target-org",
                "bench-sf",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if login_sf.returncode != 0:
            raise SystemExit(f"sf login failed: {login_sf.stderr.strip()}")
        sf_calls_before = len(sf.calls())
        commands = {
            "profile": [*bulktui, "jobs", "--profile", "bench"],
            "sf": [*bulktui, "jobs", "--profile", "benchsf"],
            "session": [*bulktui, "jobs", "--instance-url", server.url],
        }
        env["BULKTUI_SESSION_ID"] = session
        logins_before = sum(engine.stats[r] for r in LOGIN_ROUTES)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for i in range(runs + 1):  # the first pair warms the file cache and is dropped
            order = list(commands.items())
            for name, argv in order if i % 2 else reversed(order):
                # Let the emulator catch up with its demo org first (it advances lazily on
                # each request), so neither command pays for the other's idle time.
                httpx.get(f"{server.url}/_emulator/stats")
                started = time.perf_counter()
                proc = subprocess.run(argv, capture_output=True, env=env, check=False)
                times[name].append(time.perf_counter() - started)
                if proc.returncode != 0:
                    raise SystemExit(f"{name} run failed: {proc.stderr.decode().strip()}")
        logins = sum(engine.stats[r] for r in LOGIN_ROUTES) - logins_before
        sf_calls = len(sf.calls()) - sf_calls_before
        # The cost of one `sf` run when a token is refused (the stand-in's, a Python start).
        started = time.perf_counter()
        subprocess.run(
            ["sf", "org", "auth", "show-access-token", "--target-org", "bench-sf", "--json"],
            capture_output=True,
            env=env,
            check=False,
        )
        one_sf_run = time.perf_counter() - started
    profile = statistics.median(times["profile"][1:])
    with_sf = statistics.median(times["sf"][1:])
    plain = statistics.median(times["session"][1:])
    return {
        "profile_ms": profile * 1000,
        "sf_ms": with_sf * 1000,
        "session_ms": plain * 1000,
        "overhead_ms": (profile - plain) * 1000,
        "sf_overhead_ms": (with_sf - plain) * 1000,
        "logins_during_runs": logins,
        "sf_calls_during_runs": sf_calls,
        "one_sf_run_ms": one_sf_run * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--expire-every", type=float, default=600.0)
    parser.add_argument("--keyring-backend", default=None)
    parser.add_argument("--startup-only", action="store_true", help="skip the watch (part 1)")
    args = parser.parse_args()
    print("$ python bench/bench_profile_startup.py " + " ".join(sys.argv[1:]))
    keys = _key_pair()
    for method in () if args.startup_only else (Method.OAUTH, Method.JWT, Method.PASSWORD):
        _watch_line(method, args, keys)
    backend = args.keyring_backend or "keyrings.alt.file.PlaintextKeyring"
    print(f"\n2. start-up, median of {args.runs} fresh processes each (keyring: {backend})")
    s = startup(args.runs, args.keyring_backend)
    print(f"   bulktui jobs --instance-url U (BULKTUI_SESSION_ID) : {s['session_ms']:.0f} ms")
    print(f"   bulktui jobs --profile bench (oauth, cached token)  : {s['profile_ms']:.0f} ms")
    print(f"   bulktui jobs --profile benchsf (sf, cached token)   : {s['sf_ms']:.0f} ms")
    verdict = "ok" if s["overhead_ms"] <= 300 else "OVER"
    print(
        f"   overhead of the profile: {s['overhead_ms']:.0f} ms (target <= 300 ms: {verdict}); "
        f"logins during the runs: {s['logins_during_runs']:.0f}"
    )
    print(
        f"   overhead of the sf profile: {s['sf_overhead_ms']:.0f} ms; sf runs during the runs: "
        f"{s['sf_calls_during_runs']:.0f} (one run of the stand-in sf: "
        f"{s['one_sf_run_ms']:.0f} ms; the real CLI's Node start-up is about 1.5 s)"
    )


def _watch_line(method: Method, args: argparse.Namespace, keys: tuple[str, str]) -> None:
    if method is Method.OAUTH:
        print(
            f"\n1. watch: {args.hours:g} h of emulator time, poll every 5 s, sessions expire "
            f"every {args.expire_every:g} s"
        )
    wall = time.perf_counter()
    r = asyncio.run(watch(method, args.hours, args.expire_every, keys))
    print(
        f"   {method.value:<8} {r['cycles']:.0f} cycles, {r['requests']:.0f} requests, "
        f"{r['expiries']:.0f} expiries -> {r['logins']:.0f} logins "
        f"({r['logins'] / max(r['expiries'], 1):.2f} per expiry), "
        f"{r['problems']:.0f} problems shown  [{time.perf_counter() - wall:.1f} s wall]"
    )


if __name__ == "__main__":
    main()
