"""How many ``GET job`` requests per second the emulator serves on loopback, one uvicorn worker.

Runs ``bulktui emulator`` in a subprocess (so client and server do not share a GIL), creates
one job, then issues a bounded number of keep-alive GETs from a few client threads on
127.0.0.1 only. Target: >= 1,000 requests/s on a 2-core machine.

    python bench/bench_emulator.py [--requests 6000] [--connections 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

JOB_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><jobInfo '
    'xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>insert</operation>'
    "<object>Account</object><contentType>CSV</contentType></jobInfo>"
)


def _get_loop(host: str, port: int, path: str, headers: dict[str, str], count: int,
              failures: list[int]) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    for _ in range(count):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            failures.append(response.status)
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulktui", "emulator", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        url = urlsplit(ready["instance_url"])
        host, port = url.hostname or "127.0.0.1", url.port or 80
        assert host == "127.0.0.1"
        headers = {"X-SFDC-Session": ready["session_id"],
                   "Content-Type": "application/xml; charset=UTF-8"}
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("POST", "/services/async/64.0/job", body=JOB_XML, headers=headers)
        created = conn.getresponse().read().decode()
        job_id = created.split("<id>")[1].split("</id>")[0]
        conn.close()
        path = f"/services/async/64.0/job/{job_id}"
        _get_loop(host, port, path, headers, 200, [])  # warm-up
        per = args.requests // args.connections
        failures: list[int] = []
        threads = [
            threading.Thread(target=_get_loop, args=(host, port, path, headers, per, failures))
            for _ in range(args.connections)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        total = per * args.connections
        print(f"GET job: {total} requests over {args.connections} keep-alive connections "
              f"in {elapsed:.2f} s = {total / elapsed:,.0f} requests/s "
              f"({len(failures)} non-200)")
        return 0 if not failures else 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
