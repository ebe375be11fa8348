"""The console's figures (issue 3, "Figures to reach"), measured on the real thing.

    python bench/bench_console.py [--only startup|idle|bytes|keys|journal]
                                  [--jobs 1000] [--big 10000] [--reference DIR]

Each figure starts a real ``bulktui emulator`` subprocess on loopback, seeds it through
``POST /_emulator/seed``, and runs ``bulktui --instance-url … --session-id …`` as a subprocess
in a pseudo-terminal of the stated size, reading everything it writes, as a terminal would:

- startup: from spawning ``bulktui`` to (a) the table holding all 1,000 jobs (the status line
  says "1,000 jobs") and (b) the newest job's counts painted (its record count appears).
  1,000 jobs, 20 of them in progress. Target: (b) <= 1.5 s.
- idle: the console's CPU (utime+stime from /proc) over 20 s once the first cycles are done and
  nothing changes on the server, and the bytes it writes meanwhile. Target: <= 2 % of a core.
- bytes: bytes written to the terminal for one refresh that changes 5 visible rows (5 Open
  jobs aborted on the server), at 120x35, against the same window with nothing changed.
- keys: 10,000 jobs; key press to the first byte of the screen update and to the end of it
  (no more output for 30 ms), for cursor moves, page moves, sort and filter; the console's
  peak resident memory. Target: <= 100 ms, <= 250 MB.

Byte code: ``pip install`` compiles an installed package's modules, and an editable install
writes ``__pycache__`` on its first run, so a user's launch reads compiled modules. A machine
with ``PYTHONDONTWRITEBYTECODE=1`` (some CI images and containers) never writes them, and every
launch would then compile all of bulktui again (about 0.2 s, more as modules are added). The
bench compiles the ``bulktui`` it runs first (``compileall``), so the figure is the user's.

This is a measurement, not a test: it prints the figures and exits 0.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

TICK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- the emulator


@dataclass
class Emulator:
    proc: subprocess.Popen[str]
    url: str
    session_id: str

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_emulator() -> Emulator:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulktui", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready = json.loads(proc.stdout.readline())
    return Emulator(proc, ready["instance_url"], ready["session_id"])


def iso(minutes_ago: float) -> str:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def seed(emulator: Emulator, jobs: int, in_progress: int = 20, open_jobs: int = 5) -> None:
    """``jobs`` jobs, newest first: ``open_jobs`` Open ones (for the bytes figure), then
    ``in_progress`` Closed ones with batches still running (static: they never move, so the
    server is quiet), then finished ones. The newest job has 987,654 records processed."""
    specs: list[dict[str, Any]] = []
    objects = ["Account", "Contact", "Lead", "Opportunity", "Case"]
    spacing = min(3.0, 5 * 24 * 60 / jobs)  # minutes; all within 5 days (no purge)
    for i in range(jobs):
        spec: dict[str, Any] = {
            "object": objects[i % len(objects)],
            "operation": "insert",
            "createdDate": iso(1 + i * spacing),
        }
        if i < open_jobs:
            spec.update(
                state="Open",
                batches=[{"state": "Completed", "numberRecordsProcessed": 987_654 - i}],
            )
        elif i < open_jobs + in_progress:
            spec.update(
                state="Closed",
                batches=[
                    {"state": "Completed", "numberRecordsProcessed": 10_000},
                    {"state": "InProgress", "numberRecordsProcessed": 4_200},
                    {"state": "Queued"},
                ],
            )
        else:
            spec.update(
                state="Closed",
                batches=[{"state": "Completed", "numberRecordsProcessed": 500 + i}],
            )
        specs.append(spec)
    for start in range(0, len(specs), 2000):
        chunk = {"jobs": specs[start : start + 2000]}
        answer = httpx.post(f"{emulator.url}/_emulator/seed", json=chunk, timeout=300)
        answer.raise_for_status()


# ----------------------------------------------------------------------------- the console


@dataclass
class Terminal:
    """``bulktui`` in a pseudo-terminal; every byte it writes is kept with its arrival time."""

    pid: int
    fd: int
    started: float
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False

    @classmethod
    def spawn(
        cls, args: list[str], env: dict[str, str], cols: int, rows: int, cwd: Path | None = None
    ) -> Terminal:
        started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: become bulktui (``-m bulktui`` finds the one in ``cwd``)
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(args[0], args, env)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        term = cls(pid, fd, started)
        threading.Thread(target=term._read, daemon=True).start()
        return term

    def _read(self) -> None:
        while not self.done:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.chunks.append((time.perf_counter(), data))

    def mark(self) -> int:
        with self.lock:
            return len(self.chunks)

    def since(self, mark: int) -> list[tuple[float, bytes]]:
        with self.lock:
            return list(self.chunks[mark:])

    def bytes_since(self, mark: int) -> int:
        return sum(len(data) for _, data in self.since(mark))

    def wait_for(self, needle: bytes, timeout: float, mark: int = 0) -> float:
        """Seconds from spawn to the first time ``needle`` appeared in the output."""
        deadline = time.perf_counter() + timeout
        tail = b""
        seen = mark
        while time.perf_counter() < deadline:
            chunks = self.since(seen)
            seen += len(chunks)
            for at, data in chunks:
                tail = (tail + data)[-(len(needle) + 65536) :]
                if needle in tail:
                    return at - self.started
            time.sleep(0.005)
        raise TimeoutError(f"{needle!r} did not appear in {timeout} s")

    def press(self, keys: bytes) -> float:
        at = time.perf_counter()
        os.write(self.fd, keys)
        return at

    def update_after(self, mark: int, pressed: float, quiet: float = 0.03) -> tuple[float, float]:
        """(first byte, last byte before ``quiet`` s of silence) after a key press, in ms."""
        deadline = pressed + 3
        while time.perf_counter() < deadline:
            chunks = self.since(mark)
            if chunks and time.perf_counter() - chunks[-1][0] > quiet:
                return (chunks[0][0] - pressed) * 1000, (chunks[-1][0] - pressed) * 1000
            time.sleep(0.002)
        raise TimeoutError("no screen update after the key press")

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss_mb(self) -> tuple[float, float]:
        """(current, peak) resident set size in MB."""
        values: dict[str, float] = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"]

    def quit(self) -> None:
        try:
            os.write(self.fd, b"q")
            for _ in range(50):
                pid, _status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    break
                time.sleep(0.1)
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        finally:
            self.done = True
            os.close(self.fd)


COLOURS = {
    "truecolor": {"TERM": "xterm-256color", "COLORTERM": "truecolor"},
    "256": {"TERM": "xterm-256color"},  # what SSH usually gives: COLORTERM is not forwarded
    "16": {"TERM": "xterm"},
}
COLOUR = "truecolor"


def console(
    emulator: Emulator,
    cols: int = 120,
    rows: int = 35,
    journal: Path | None = None,
    code: Path | None = None,
) -> Terminal:
    """The console on ``emulator``; with ``journal``, that journal file, else none (``off``):
    the figures compare with those from before the journal existed, and a bench never writes
    into the user's own state directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BULKTUI_", "NO_COLOR"))}
    for name in ("TEXTUAL_THEME", "COLORTERM", "TERM"):
        env.pop(name, None)
    env.update(COLOURS[COLOUR], LANG="C.UTF-8")
    env["BULKTUI_SESSION_ID"] = emulator.session_id  # never on a command line
    env["BULKTUI_JOURNAL"] = str(journal) if journal is not None else "off"
    args = [sys.executable, "-m", "bulktui", "--instance-url", emulator.url]
    return Terminal.spawn(args, env, cols, rows, cwd=code)


# ----------------------------------------------------------------------------- the figures


def figure_startup(jobs: int, runs: int) -> None:
    emulator = start_emulator()
    try:
        seed(emulator, jobs)
        rows_at, counts_at = [], []
        for _ in range(runs):
            term = console(emulator)
            try:
                rows_at.append(term.wait_for(f"{jobs:,} jobs".encode(), 30))
                counts_at.append(term.wait_for(b"987,654", 30))
            finally:
                term.quit()
        print(
            f"startup, {jobs:,} jobs (20 in progress), 120x35, {runs} runs:\n"
            f"  all rows in the table:      median {statistics.median(rows_at):.2f} s"
            f"  (runs: {', '.join(f'{t:.2f}' for t in rows_at)})\n"
            f"  newest job's counts shown:  median {statistics.median(counts_at):.2f} s"
            f"  (runs: {', '.join(f'{t:.2f}' for t in counts_at)})   target <= 1.5 s"
        )
    finally:
        emulator.stop()


HELLO_APP = """
from textual.app import App
from textual.widgets import Static
class Hello(App):
    def compose(self):
        yield Static("hello from textual")
Hello().run()
"""


def hello_textual() -> Terminal:
    """A one-line Textual app: the floor under any Textual console's first paint here."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEXTUAL_THEME", "COLORTERM")}
    env.update(COLOURS[COLOUR], LANG="C.UTF-8")
    return Terminal.spawn([sys.executable, "-c", HELLO_APP], env, 120, 35)


def figure_journal_startup(jobs: int, runs: int, reference: Path | None = None) -> None:
    """Issue 13: launch → the table from a warm journal, before any network answer, with
    the emulator stopped. A first run fills the journal; the emulator is then stopped and the
    console started again on the same org, ``runs`` times. Two moments: the first screenful
    (the newest job's row with its counts, which only the journal can give with nothing
    answering) and every row (the status line says "10,000 jobs"). Each relaunch is paired
    with a one-line Textual app, so the figure can be read against what Textual alone costs
    on the machine that ran it, and with ``reference`` (another checkout, e.g. a git worktree
    of an earlier commit) with a relaunch of that code on the same journal, in alternating
    order: this machine's noise is larger than most changes."""
    emulator = start_emulator()
    with tempfile.TemporaryDirectory() as scratch:
        journal = Path(scratch) / "journal.sqlite3"
        try:
            seed(emulator, jobs)
            term = console(emulator, journal=journal)
            try:
                first = term.wait_for(f"{jobs:,} jobs".encode(), 60)
                time.sleep(3)  # a snapshot or two recorded
            finally:
                term.quit()
        finally:
            emulator.stop()
        screenful, every, hello = [], [], []
        ref_screenful: list[float] = []
        ref_every: list[float] = []

        def relaunch(code: Path | None, screen_at: list[float], rows_at: list[float]) -> None:
            term = console(emulator, journal=journal, code=code)  # nothing answers
            try:
                screen_at.append(term.wait_for(b"987,654", 60))
                rows_at.append(term.wait_for(f"{jobs:,} jobs".encode(), 60))
            finally:
                term.quit()

        for run in range(runs):
            pairs: list[tuple[Path | None, list[float], list[float]]] = [(None, screenful, every)]
            if reference is not None:
                pairs.append((reference, ref_screenful, ref_every))
            for code, screen_at, rows_at in pairs if run % 2 == 0 else reversed(pairs):
                relaunch(code, screen_at, rows_at)
            term = hello_textual()
            try:
                hello.append(term.wait_for(b"hello from textual", 60))
            finally:
                term.quit()

    def runs_of(times: list[float]) -> str:
        each = ", ".join(f"{t:.2f}" for t in times)
        return f"median {statistics.median(times):.2f} s (runs: {each})"

    print(
        f"journal startup, {jobs:,} jobs, 120x35, {runs} relaunches:\n"
        f"  first launch (network):              all rows after {first:.2f} s\n"
        f"  relaunch, warm journal, no emulator: first screenful after {runs_of(screenful)}"
        f"   target <= 0.5 s\n"
        f"                                       every row after {runs_of(every)}\n"
        f"  a one-line Textual app, same runs:   painted after {runs_of(hello)}"
    )
    if reference is not None:
        print(
            f"  {str(reference)[:36]:<36} first screenful after {runs_of(ref_screenful)}\n"
            f"  {'':<36} every row after {runs_of(ref_every)}"
        )


def settle_backfill(term: Terminal, jobs: int) -> None:
    """Wait until the first cycles have fetched every job once (250 per 5 s cycle)."""
    term.wait_for(f"{jobs:,} jobs".encode(), 30)
    time.sleep(max(12.0, (jobs / 250 + 1) * 5.5))


def figure_idle_and_bytes(jobs: int, window: float) -> None:
    emulator = start_emulator()
    try:
        seed(emulator, jobs)
        term = console(emulator)
        try:
            settle_backfill(term, jobs)
            cpu0, mark, t0 = term.cpu_seconds(), term.mark(), time.perf_counter()
            time.sleep(window)
            cpu = term.cpu_seconds() - cpu0
            elapsed = time.perf_counter() - t0
            idle_bytes = term.bytes_since(mark)
            print(
                f"idle, {jobs:,} jobs, nothing changing, {elapsed:.0f} s:\n"
                f"  CPU {cpu / elapsed * 100:.2f} % of one core   target <= 2 %\n"
                f"  written to the terminal: {idle_bytes:,} bytes"
                f" ({idle_bytes / elapsed:,.0f} B/s: the 'Ns ago' age ticking once a second)"
            )
            # One quiet refresh cycle vs one with 5 visible rows changed.
            quiet_mark = term.mark()
            time.sleep(5.0)
            quiet = term.bytes_since(quiet_mark)
            admin = httpx.Client(
                base_url=f"{emulator.url}/services/async/64.0",
                headers={"X-SFDC-Session": emulator.session_id, "Content-Type": "application/xml"},
            )
            listing = httpx.get(
                f"{emulator.url}/services/data/v64.0/jobs/ingest",
                headers={"Authorization": f"Bearer {emulator.session_id}"},
            ).json()
            open_ids = [r["id"] for r in listing["records"] if r["state"] == "Open"][:5]
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><jobInfo '
                'xmlns="http://www.force.com/2009/06/asyncapi/dataload">'
                "<state>Aborted</state></jobInfo>"
            )
            change_mark = term.mark()
            for job_id in open_ids:
                admin.post(f"/job/{job_id}", content=body).raise_for_status()
            time.sleep(5.0)
            changed = term.bytes_since(change_mark)
            print(
                f"bytes per refresh at 120x35 ({len(open_ids)} visible rows changed):\n"
                f"  5 s window with the change: {changed:,} bytes;"
                f" same window with no change: {quiet:,} bytes\n"
                f"  => about {changed - quiet:,} bytes for the refresh itself"
            )
        finally:
            term.quit()
    finally:
        emulator.stop()


def requests_answered(emulator: Emulator) -> int:
    """API requests the emulator has answered (its control routes are not counted)."""
    reply = httpx.get(f"{emulator.url}/_emulator/stats", timeout=10)
    reply.raise_for_status()
    total: int = reply.json()["total"]
    return total


def figure_keys(jobs: int, presses: int) -> None:
    """Key press → screen. "update done" ends at 30 ms of silence, so it also takes in a
    repaint for answers that arrive meanwhile: the counts of rows a move or a sort brings on
    screen are read then (issue 13: ended jobs are read only when seen), where the first
    wave's console had read every job at start. The requests answered during each set of
    presses are printed beside it."""
    emulator = start_emulator()
    try:
        t = time.perf_counter()
        seed(emulator, jobs)
        print(f"(seeded {jobs:,} jobs in {time.perf_counter() - t:.1f} s)")
        term = console(emulator)
        try:
            shown = term.wait_for(f"{jobs:,} jobs".encode(), 60)
            print(f"keys, {jobs:,} jobs, 120x35: all rows in the table after {shown:.2f} s")
            time.sleep(3)
            # Every press must change the screen, or the next unrelated paint (the age
            # ticking) would be taken for its update: end/home alternate, so do down/up.
            cases = [
                ("down (j) / up (k)", [b"j", b"k"]),
                ("page down / up", [b"\x1b[6~", b"\x1b[5~"]),
                ("end / home", [b"\x1b[F", b"\x1b[H"]),
                ("sort (s)", [b"s"]),
                ("reverse sort (S)", [b"S"]),
            ]
            for name, keys in cases:
                firsts, lasts = [], []
                sent_before = requests_answered(emulator)
                for n in range(presses):
                    mark = term.mark()
                    first, last = term.update_after(mark, term.press(keys[n % len(keys)]))
                    firsts.append(first)
                    lasts.append(last)
                    time.sleep(0.1)
                sent = requests_answered(emulator) - sent_before
                print(
                    f"  {name:<17} first byte median {statistics.median(firsts):6.1f} ms,"
                    f" max {max(firsts):6.1f};  update done median"
                    f" {statistics.median(lasts):6.1f} ms, max {max(lasts):6.1f}   target <= 100"
                    f"   ({sent} requests answered meanwhile)"
                )
            # Filter: '/' then a word, one key at a time, then escape.
            firsts, lasts = [], []
            for key in b"/conta":
                mark = term.mark()
                first, last = term.update_after(mark, term.press(bytes([key])))
                firsts.append(first)
                lasts.append(last)
            mark = term.mark()
            term.update_after(mark, term.press(b"\x1b"))
            print(
                f"  {'filter typing':<17} first byte median {statistics.median(firsts):6.1f} ms,"
                f" max {max(firsts):6.1f};  update done median"
                f" {statistics.median(lasts):6.1f} ms, max {max(lasts):6.1f}   target <= 100"
            )
            time.sleep(20)  # let a few cycles of back-fill run, then read memory
            rss, peak = term.rss_mb()
            print(f"  resident memory now {rss:.0f} MB, peak {peak:.0f} MB   target <= 250 MB")
        finally:
            term.quit()
    finally:
        emulator.stop()


def compile_bytecode(where: Path | None = None) -> None:
    """Compile the bulktui that ``-m bulktui`` runs in ``where`` (default here), as an
    install would (see above): the one in that directory if there is one (``-m`` looks there
    first), else the installed one."""
    import compileall
    import importlib.util

    here = (where or Path.cwd()) / "bulktui"
    if (here / "__init__.py").is_file():
        folders = [str(here)]
    else:
        spec = importlib.util.find_spec("bulktui")
        assert spec is not None and spec.submodule_search_locations is not None
        folders = list(spec.submodule_search_locations)
    for folder in folders:
        compileall.compile_dir(folder, quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("startup", "idle", "bytes", "keys", "journal"))
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--big", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--presses", type=int, default=15)
    parser.add_argument("--colours", choices=tuple(COLOURS), default="truecolor")
    parser.add_argument(
        "--reference",
        type=Path,
        metavar="DIR",
        help="journal figure: also relaunch the bulktui checked out in DIR, alternating "
        "(e.g. git worktree add /tmp/ref <commit>)",
    )
    args = parser.parse_args()
    global COLOUR
    COLOUR = args.colours
    compile_bytecode()
    if args.reference is not None:
        compile_bytecode(args.reference)
    print(f"(terminal: {COLOURS[COLOUR]})")
    if args.only in (None, "startup"):
        figure_startup(args.jobs, args.runs)
    if args.only in (None, "idle", "bytes"):
        figure_idle_and_bytes(args.jobs, args.window)
    if args.only in (None, "keys"):
        figure_keys(args.big, args.presses)
    if args.only in (None, "journal"):
        figure_journal_startup(args.big, args.runs, args.reference)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
