"""``bulktui results`` on a large 2.0 job: wall time and the command's peak RSS.

    python bench/bench_results.py                   # 1,000,000 rows, 10 % failed
    python bench/bench_results.py --rows 200000     # a quicker run

A tiny HTTP server on 127.0.0.1 (a thread of this process) plays a finished 2.0 ingest job:
its JobInfo, and ``failedResults/`` / ``successfulResults/`` generated row by row and sent
chunked, so the server never holds the result set either. Failed rows carry what makes CSV hard:
quoted commas, quotes, line breaks inside a field, an ESC. ``bulktui results`` runs as a child
process (``python -m bulktui``), its connection in the environment (never on a command line),
writing to a temporary file; its peak RSS is the child's ``ru_maxrss``. Target: ≤ 100 MB.
The whole run is bounded: two commands, then the server stops.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

JOB_ID = "7508Z00000QxJb2QAF"
SESSION = "00D000000000001!bench-session"
CHUNK_ROWS = 2_000
_CODES = ("REQUIRED_FIELD_MISSING", "DUPLICATE_VALUE", "FIELD_CUSTOM_VALIDATION_EXCEPTION")


def failed_rows(count: int) -> Iterator[bytes]:
    yield b'"sf__Id","sf__Error","Name","Legacy_Key__c","Description"\n'
    for i in range(count):
        code = _CODES[i % len(_CODES)]
        yield (
            f'"","{code}:Row {i} was refused, see ""rules"":Name --","Acme, Inc. {i}",'
            f'"K-{i:08d}","first line\nsecond line \x1b[31mred\x1b[0m"\n'
        ).encode()


def successful_rows(count: int) -> Iterator[bytes]:
    yield b'"sf__Id","sf__Created","Name","Legacy_Key__c","Description"\n'
    for i in range(count):
        yield f'"001000000{i:09d}","true","Acme {i}","K-{i:08d}","plain"\n'.encode()


def job_info(rows: int, failed: int) -> bytes:
    return json.dumps(
        {
            "id": JOB_ID,
            "operation": "upsert",
            "object": "Account",
            "createdById": "0058Z000009Kr4TQAS",
            "createdDate": "2026-03-02T09:14:07.000+0000",
            "systemModstamp": "2026-03-02T09:40:00.000+0000",
            "state": "JobComplete",
            "externalIdFieldName": "Legacy_Key__c",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": 64.0,
            "jobType": "V2Ingest",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
            "numberRecordsProcessed": rows,
            "numberRecordsFailed": failed,
            "retries": 0,
            "totalProcessingTime": 61234,
            "apiActiveProcessingTime": 50123,
            "apexProcessingTime": 0,
        }
    ).encode()


def make_handler(rows: int, failed: int) -> type[http.server.BaseHTTPRequestHandler]:
    base = f"/services/data/v64.0/jobs/ingest/{JOB_ID}"

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == base:
                body = job_info(rows, failed)
                self.send_response(200)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif path == base + "/failedResults/":
                self._chunked(failed_rows(failed))
            elif path == base + "/successfulResults/":
                self._chunked(successful_rows(rows - failed))
            else:
                body = (
                    b'[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]'
                )
                self.send_response(404)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def _chunked(self, lines: Iterator[bytes]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            batch: list[bytes] = []
            for line in lines:
                batch.append(line)
                if len(batch) >= CHUNK_ROWS:
                    self._chunk(b"".join(batch))
                    batch = []
            if batch:
                self._chunk(b"".join(batch))
            self.wfile.write(b"0\r\n\r\n")

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    return Handler


def run_command(url: str, flag: str) -> tuple[float, float, int]:
    """(seconds, the child's peak RSS in MB, bytes written) for one ``bulktui results``."""
    env = {
        **os.environ,
        "BULKTUI_INSTANCE_URL": url,
        "BULKTUI_SESSION_ID": SESSION,
        "BULKTUI_PROFILE": "",
    }
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "out.csv")
        argv = [sys.executable, "-m", "bulktui", "results", JOB_ID, flag, "-o", out]
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        err = child.stderr.read().decode() if child.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"bulktui results {flag} failed: {err.strip()}")
        size = os.path.getsize(out)
    return seconds, usage.ru_maxrss / 1024, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--failed-share", type=float, default=0.10)
    args = parser.parse_args()
    rows = max(1, args.rows)
    failed = int(rows * min(max(args.failed_share, 0.0), 1.0))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(rows, failed))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"2.0 ingest job: {rows:,} rows, {failed:,} failed ({args.failed_share:.0%})")
    try:
        for flag, count in (("--failed", failed), ("--successful", rows - failed)):
            seconds, rss, size = run_command(url, flag)
            print(
                f"bulktui results {flag:<12} {count:>9,} rows  {size / 1e6:7.1f} MB written  "
                f"{seconds:6.1f} s  peak RSS {rss:5.1f} MB  (target <= 100 MB)"
            )
    finally:
        server.shutdown()
        server.server_close()
    server_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process (the server): peak RSS {server_rss:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
