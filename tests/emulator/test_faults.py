"""Fault injection: each fault, run-time changes, reproducibility, control routes exempt."""

from __future__ import annotations

import pytest

from bulktui.api import wire
from bulktui.api.errors import ResponseFormatError
from bulktui.emulator.faults import ConnectionAborted, FaultSpec

from .helpers import Org, V, make_org


def test_parse_spec() -> None:
    spec = FaultSpec.parse(
        "latency=50, http503=0.25,reset=0.1,malformed=0.2,html=0.3,"
        "quota=0.05,expire-sessions-every=300"
    )
    assert (
        spec.latency_ms,
        spec.http503,
        spec.reset,
        spec.malformed,
        spec.html,
        spec.quota,
        spec.expire_sessions_every,
    ) == (50, 0.25, 0.1, 0.2, 0.3, 0.05, 300)
    assert FaultSpec.parse("").active is False
    assert FaultSpec.parse(spec.describe()) == spec


@pytest.mark.parametrize(
    "bad",
    [
        "bogus=1",
        "http503=2",
        "http503=x",
        "latency",
        "seed=inf",
        "seed=-inf",
        "seed=nan",
        "seed=1.5",
        "seed=1e300",
        "http503=nan",
        "reset=NaN",
        "latency=inf",
        "expire-sessions-every=nan",
    ],
)
def test_parse_refuses_bad_specs(bad: str) -> None:
    with pytest.raises(ValueError):
        FaultSpec.parse(bad)


async def _get_job(org, path: str = "x"):  # type: ignore[no-untyped-def]
    return await org.http.get(f"/services/async/{V}/job/{path}", headers=org.h)


async def test_http503_on_both_apis() -> None:
    org = make_org(faults=FaultSpec.parse("http503=1"))
    async with org.http:
        r = await _get_job(org)
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/xml"
        r = await org.http.get(f"/services/data/v{V}/limits", headers=org.bearer)
        assert r.status_code == 503 and r.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"


async def test_html_maintenance_page() -> None:
    org = make_org(faults=FaultSpec.parse("html=1"))
    async with org.http:
        statuses = set()
        for _ in range(12):
            r = await _get_job(org)
            statuses.add(r.status_code)
            assert r.headers["content-type"].startswith("text/html")
            with pytest.raises(ResponseFormatError):
                wire.detect_format(r.headers["content-type"], r.content)
        assert statuses == {200, 503}


async def test_malformed_truncates_the_body() -> None:
    org = make_org(faults=FaultSpec.parse("malformed=1"))
    async with org.http:
        job = org.engine.create_job(
            org.engine.default_user, {"operation": "insert", "object": "Account"}, V
        )
        r = await _get_job(org, job.id)
        assert r.status_code == 200 and len(r.content) == int(r.headers["content-length"])
        with pytest.raises(ResponseFormatError):
            wire.parse_job_info(r.content, "xml")


async def test_quota_fault() -> None:
    org = make_org(faults=FaultSpec.parse("quota=1"))
    async with org.http:
        r = await _get_job(org)
        assert wire.parse_error(r.status_code, r.content, "application/xml").code == "ExceededQuota"
        r = await org.http.get(f"/services/data/v{V}/limits", headers=org.bearer)
        assert (r.status_code, r.json()[0]["errorCode"]) == (403, "REQUEST_LIMIT_EXCEEDED")


async def test_reset_drops_the_connection() -> None:
    org = make_org(faults=FaultSpec.parse("reset=1"))
    async with org.http:
        with pytest.raises(ConnectionAborted):
            await _get_job(org)


async def test_expire_sessions_every() -> None:
    org = make_org(faults=FaultSpec.parse("expire-sessions-every=60"))
    async with org.http:
        assert wire.parse_error(400, (await _get_job(org)).content, None).code == "InvalidJob"
        await org.tick(61, renew=False)
        assert wire.parse_error(400, (await _get_job(org)).content, None).code == "InvalidSessionId"


async def test_faults_never_touch_control_routes_and_change_at_run_time() -> None:
    org = make_org(faults=FaultSpec.parse("http503=1"))
    async with org.http:
        assert (await org.http.get("/_emulator/stats")).status_code == 200
        r = await org.http.post("/_emulator/faults", content="html=0.5,seed=3")
        assert r.json() == {"faults": "html=0.5,seed=3"}
        assert (await org.http.post("/_emulator/faults", content="nope=1")).status_code == 400
        await org.http.post("/_emulator/faults", json={"spec": ""})
        assert wire.parse_error(400, (await _get_job(org)).content, None).code == "InvalidJob"


async def _pattern(seed: int) -> list[int]:
    org = make_org(faults=FaultSpec.parse(f"http503=0.5,seed={seed}"))
    async with org.http:
        return [(await _get_job(org)).status_code for _ in range(24)]


async def test_seeded_faults_replay() -> None:
    first, again, other = await _pattern(1), await _pattern(1), await _pattern(2)
    assert first == again and first != other
    assert set(first) == {400, 503}


@pytest.mark.parametrize("spec", ["seed=inf", "http503=nan", "latency=infinity"])
async def test_control_endpoint_refuses_non_finite_numbers_with_400(org: Org, spec: str) -> None:
    r = await org.http.post("/_emulator/faults", content=spec)
    assert r.status_code == 400
    message = r.json()["error"]
    assert "\n" not in message and "finite" in message
    assert (await org.http.get("/_emulator/faults")).json() == {"faults": ""}
