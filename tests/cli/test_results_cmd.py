"""``bulktui results``: through main(), against a small org that answers the way the 2.0 guide
shows (and 1.0 the 1.0 way)."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from bulktui.api import wire
from bulktui.api.client import BulkClient
from bulktui.api.enums import BatchState, ContentType, JobState, JobType, Operation
from bulktui.api.models import BatchInfo, JobInfo, RecordError, RecordResult
from bulktui.cli import jobs_cmd, main

URL = "https://org.example.my.salesforce.com"
V2 = "7508Z00000QxJb3QAF"
RUNNING = "7508Z00000QxJb6QAF"
QUERY = "7508Z00000QxJb4QAF"
V1 = "7508Z00000QxJb2QAF"
BATCH_1 = "7518Z00000T3mWqQAJ"
BATCH_2 = "7518Z00000T3mWrQAJ"
UNKNOWN = "7508Z00000QxJb5QAF"
V1_QUERY = "7508Z00000QxJb7QAF"
RESULT_1 = "7528Z00000T3mWqQAJ"
RESULT_2 = "7528Z00000T3mWrQAJ"
FAILED_CSV = (
    b'"sf__Id","sf__Error","Name"\n'
    b'"","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",""\n'
    b'"","DUPLICATE_VALUE:dup \x1b]0;pwned\x07 --","Acme ""A"", line\nbreak"\n'
)
NOT_FOUND = b'[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]'


class Chunks(httpx.AsyncByteStream):
    def __init__(self, parts: Iterator[bytes]) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


def v2_job(job_id: str, state: JobState, job_type: JobType = JobType.V2_INGEST) -> dict[str, Any]:
    operation = "query" if job_type is JobType.V2_QUERY else "insert"
    return {
        "id": job_id,
        "operation": operation,
        "object": "Account",
        "state": state.value,
        "contentType": "CSV",
        "apiVersion": 64.0,
        "jobType": job_type.value,
        "numberRecordsProcessed": 3,
        "numberRecordsFailed": 2,
        "retries": 0,
    }


class Org:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.break_stream = False
        self.big_rows = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        ingest = {V2: JobState.JOB_COMPLETE, RUNNING: JobState.IN_PROGRESS}
        match = re.fullmatch(r"/services/data/v64\.0/jobs/(ingest|query)/(\w+)(?:/(\w+))?/?", path)
        if match:
            resource, job_id, rest = match.groups()
            if resource == "ingest" and job_id in ingest and rest is None:
                return _json(v2_job(job_id, ingest[job_id]))
            if resource == "query" and job_id == QUERY and rest is None:
                return _json(v2_job(QUERY, JobState.JOB_COMPLETE, JobType.V2_QUERY))
            if resource == "ingest" and job_id == V2 and rest:
                return self._results(rest)
            if resource == "query" and job_id == QUERY and rest == "results":
                return self._page(request)
            return httpx.Response(
                404, content=NOT_FOUND, headers={"Content-Type": "application/json"}
            )
        match = re.fullmatch(r"/services/async/64\.0/job/(\w+)/batch/(\w+)/result/(\w+)", path)
        if match:  # a 1.0 query result set: CSV, the same header in every set
            rows = {
                RESULT_1: b'"Id","Name"\n"001A","Ada"\n',
                RESULT_2: b'"Id","Name"\n"001B","Bo"\n',
            }
            return httpx.Response(200, stream=Chunks(iter([rows[match[3]]])))
        match = re.fullmatch(r"/services/async/64\.0/job/(\w+)(/batch)?(?:/(\w+)/result)?", path)
        assert match, path
        job_id, batches, batch_id = match.groups()
        if job_id == V1_QUERY:
            if batch_id:
                ids = [RESULT_1] if batch_id == BATCH_1 else [RESULT_2]
                return _xml(wire.result_ids_xml(ids))
            if batches:
                return _xml(wire.batch_info_list_xml(V1_BATCHES))
            return _xml(
                wire.job_info_xml(
                    replace(
                        V1_JOB, id=V1_QUERY, operation=Operation.QUERY, content_type=ContentType.CSV
                    )
                )
            )
        if job_id != V1:
            return _xml(wire.error_xml("InvalidJob", f"Unable to find job {job_id}"), 400)
        if batch_id:
            return _xml(wire.record_results_xml(RESULTS[batch_id]))
        if batches:
            return _xml(wire.batch_info_list_xml(V1_BATCHES))
        return _xml(wire.job_info_xml(V1_JOB))

    def _results(self, name: str) -> httpx.Response:
        if name == "failedResults":
            if self.break_stream:

                def broken() -> Iterator[bytes]:
                    yield FAILED_CSV[:40]
                    raise httpx.ReadError("connection reset by peer")

                return httpx.Response(200, stream=Chunks(broken()))
            return httpx.Response(200, stream=Chunks(iter([FAILED_CSV[:30], FAILED_CSV[30:]])))
        if name == "successfulResults":
            return httpx.Response(200, stream=Chunks(self._big()))
        return httpx.Response(200, stream=Chunks(iter([b'"Name"\n"Left"\n'])))

    def _big(self) -> Iterator[bytes]:
        yield b'"sf__Id","sf__Created","Name"\n'
        batch = []
        for i in range(self.big_rows):
            batch.append(b'"001000000%09d","true","Row %d"\n' % (i, i))
            if len(batch) == 2000:
                yield b"".join(batch)
                batch = []
        yield b"".join(batch)

    def _page(self, request: httpx.Request) -> httpx.Response:
        locator = request.url.params.get("locator")
        body, after = {
            None: (b'"Id","Name"\n"001A","Ada"\n', "L1"),
            "L1": (b'"Id","Name"\n"001B","Bo"\n', "null"),
        }[locator]
        return httpx.Response(200, stream=Chunks(iter([body])), headers={"Sforce-Locator": after})


V1_JOB = JobInfo(
    id=V1,
    operation=Operation.INSERT,
    object="Account",
    state=JobState.CLOSED,
    content_type=ContentType.XML,
    number_batches_total=2,
    number_batches_queued=0,
    number_batches_in_progress=0,
    number_batches_completed=2,
    number_batches_failed=0,
)
V1_BATCHES = [
    BatchInfo(id=BATCH_1, job_id=V1, state=BatchState.COMPLETED),
    BatchInfo(id=BATCH_2, job_id=V1, state=BatchState.COMPLETED),
]
MISSING = RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", ("Name",))
RESULTS = {
    BATCH_1: [
        RecordResult("001A00000000001AAA", True, True),
        RecordResult(None, False, False, (MISSING,)),
    ],
    BATCH_2: [RecordResult("001A00000000002AAA", True, False)],
}


def _json(data: Any) -> httpx.Response:
    return httpx.Response(
        200, content=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _xml(body: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=body.encode(), headers={"Content-Type": "application/xml"}
    )


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Org:
    monkeypatch.setenv("BULKTUI_INSTANCE_URL", URL)
    monkeypatch.setenv("BULKTUI_SESSION_ID", "00D5g000004SkLT!AQcAQH0dMHZfz9gRJ7Z9k2xsecretRES")
    monkeypatch.delenv("BULKTUI_PROFILE", raising=False)
    fake = Org()

    def factory(connection: Any, reauthenticate: Any = None) -> BulkClient:
        return BulkClient(
            connection, transport=httpx.MockTransport(fake.handle), reauthenticate=reauthenticate
        )

    monkeypatch.setattr(jobs_cmd, "BulkClient", factory)
    return fake


def test_failed_records_of_a_v2_job_are_written_as_sent_to_a_private_file(
    org: Org, tmp_path: Path
) -> None:
    out = tmp_path / "failed.csv"
    assert main(["results", V2, "--failed", "-o", str(out)]) == 0
    assert out.read_bytes() == FAILED_CSV
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["failed.csv"]
    assert org.requests[-1].url.path == f"/services/data/v64.0/jobs/ingest/{V2}/failedResults/"
    assert len(org.requests) == 2  # the job (2.0 ingest is asked first), then its results


def test_failed_is_the_default_and_stdout_gets_the_bytes(
    org: Org, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["results", V2]) == 0
    assert capsysbinary.readouterr().out == FAILED_CSV


def test_on_a_terminal_escapes_are_shown_not_obeyed(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Buffer(io.BytesIO):
        def isatty(self) -> bool:
            return True

    buffer = Buffer()
    stdout = io.TextIOWrapper(buffer, encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["results", V2, "--failed"]) == 0
    text = buffer.getvalue().decode()
    assert "\x1b" not in text and "\x07" not in text
    assert "dup \\x1b]0;pwned\\x07 --" in text
    assert 'line\nbreak"' in text  # line breaks stay line breaks


def test_other_result_sets(org: Org, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["results", V2, "--unprocessed"]) == 0
    assert capsysbinary.readouterr().out == b'"Name"\n"Left"\n'
    assert org.requests[-1].url.path.endswith("/unprocessedrecords/")


def test_a_running_job_is_refused_with_exit_2_and_one_line(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.csv"
    assert main(["results", RUNNING, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "still running (InProgress)" in err
    assert os.listdir(tmp_path) == []
    assert not any("Results" in r.url.path for r in org.requests)


def test_an_unknown_job_is_exit_1_after_asking_every_endpoint(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["results", UNKNOWN]) == 1
    err = capsys.readouterr().err
    assert "no job" in err and "neither Bulk API 1.0 nor 2.0 knows it" in err
    assert len(org.requests) == 3


def test_a_bad_id_is_exit_2_before_any_request(org: Org) -> None:
    assert main(["results", "750;rm -rf"]) == 2
    assert org.requests == []


def test_a_broken_stream_leaves_no_file(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org.break_stream = True
    out = tmp_path / "failed.csv"
    out.write_bytes(b"an older file")
    assert main(["results", V2, "-o", str(out)]) == 1
    assert "stream broke after" in capsys.readouterr().err
    assert out.read_bytes() == b"an older file"  # untouched: never a half-written file
    assert os.listdir(tmp_path) == ["failed.csv"]


def test_a_symlink_keeps_pointing_at_the_file_it_names(org: Org, tmp_path: Path) -> None:
    target = tmp_path / "data" / "failed.csv"
    target.parent.mkdir()
    target.write_bytes(b"last week's")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    assert main(["results", V2, "-o", str(link)]) == 0
    assert link.is_symlink() and target.read_bytes() == FAILED_CSV
    assert sorted(os.listdir(target.parent)) == ["failed.csv"]


def test_a_pipe_is_written_to_and_never_replaced(org: Org, tmp_path: Path) -> None:
    """``-o /dev/stdout`` or a process substitution: renaming a file over the path replaced
    /dev/stdout itself when run as root."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so opening it to write works
    try:
        assert main(["results", V2, "-o", str(fifo)]) == 0
        assert os.read(reader, 1 << 16) == FAILED_CSV
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_device_is_one_line_and_exit_1(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", V2, "-o", "/dev/full"]) == 1
    err = capsys.readouterr().err
    assert err == "bulktui: could not write the output: No space left on device; it is incomplete\n"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # still the device


def test_a_query_job_gives_its_records_once_with_one_header(
    org: Org, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["results", QUERY]) == 0
    assert capsysbinary.readouterr().out == b'"Id","Name"\n"001A","Ada"\n"001B","Bo"\n'


def test_a_query_job_has_no_failed_records(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", QUERY, "--failed"]) == 2
    assert "is a query" in capsys.readouterr().err


def test_a_1_0_job_merges_every_batch_with_its_id(
    org: Org, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["results", V1, "--successful"]) == 0
    assert capsysbinary.readouterr().out.decode().splitlines() == [
        '"Batch Id","Id","Success","Created","Error"',
        f'"{BATCH_1}","001A00000000001AAA","true","true",""',
        f'"{BATCH_2}","001A00000000002AAA","true","false",""',
    ]
    assert main(["results", V1]) == 0
    assert capsysbinary.readouterr().out.decode().splitlines()[1:] == [
        f'"{BATCH_1}","","false","false",'
        '"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"'
    ]


def test_a_1_0_job_has_no_unprocessed_records(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", V1, "--unprocessed"]) == 2
    assert "keeps no unprocessed records" in capsys.readouterr().err


def test_memory_stays_flat_on_a_large_result(org: Org, tmp_path: Path) -> None:
    """300,000 rows (about 12 MB) streamed to a file: what is held stays small."""
    org.big_rows = 300_000
    out = tmp_path / "ok.csv"
    tracemalloc.start()
    try:
        assert main(["results", V2, "--successful", "-o", str(out)]) == 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.stat().st_size > 10_000_000
    assert peak < 6 * 1024 * 1024, f"peak {peak:,} bytes"


def test_a_1_0_query_merges_every_result_set_with_its_batch_id(
    org: Org, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["results", V1_QUERY]) == 0
    assert capsysbinary.readouterr().out.decode().splitlines() == [
        '"Batch Id","Id","Name"',
        f'"{BATCH_1}","001A","Ada"',
        f'"{BATCH_2}","001B","Bo"',
    ]
