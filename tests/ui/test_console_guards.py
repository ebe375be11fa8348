"""Guard rules in the console: the header says whether they are armed, a flag marks the row
with a glyph and goes to the message log, and an armed abort goes through the action runner."""

from __future__ import annotations

from bulktui.api.enums import JobState
from tests.ui.harness import build, refresh, screen_text, started, wait_until
from tests.ui.seeds import small_org
from tests.ui.test_flows import job_where, row_text

RULES = """
[[rule]]
name = "failing contact load"
object = "Contact"
when = "failure_rate > 10% and processed >= 1000"
action = "abort"

[[rule]]
name = "account open too long"
object = "Account"
operation = "insert"
when = "open_for > 1m"
action = "flag"
"""


def upsert_id(h: object) -> str:
    (job_id,) = [
        j.id
        for j in h.engine.jobs.values()  # type: ignore[attr-defined]
        if j.object_name == "Contact" and j.operation.value == "upsert"
    ]
    return str(job_id)


def logged(h: object) -> str:
    return "\n".join(m.text for m in h.app.messages)  # type: ignore[attr-defined]


async def test_armed_rules_abort_flag_and_say_so() -> None:
    h = build(small_org, rules=RULES, arm=True)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        assert "guards armed" in screen_text(h.app).splitlines()[0]
        upsert = upsert_id(h)
        await wait_until(pilot, lambda: h.engine.jobs[upsert].state is JobState.ABORTED)
        await wait_until(pilot, lambda: "account open too long" in logged(h))
        text = logged(h)
        assert "rule 'failing contact load' fired" in text and "aborted" in text
        flagged = job_where(h, obj="Account", state="Open")
        assert flagged in h.app.guards.fired  # type: ignore[union-attr]
        await wait_until(pilot, lambda: "▲" in row_text(h, flagged))


async def test_unarmed_rules_only_say_what_they_would_do() -> None:
    h = build(small_org, rules=RULES)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        assert "guards not armed" in screen_text(h.app).splitlines()[0]
        await wait_until(pilot, lambda: "would abort" in logged(h))
        assert h.engine.jobs[upsert_id(h)].state is JobState.CLOSED


async def test_the_rules_do_not_say_the_link_a_second_time() -> None:
    """The header and the message log say the link's state; the rules' own link events are
    for the watcher, which has no header. In the console they were a second line per change."""
    h = build(small_org, rules=RULES)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await wait_until(pilot, lambda: "would abort" in logged(h))
        h.transport.down = True
        h.clock.advance(10)
        await refresh(pilot, h)
        await wait_until(pilot, lambda: "unreachable" in logged(h))
        h.transport.down = False
        await refresh(pilot, h)
        await wait_until(pilot, lambda: "● live" in screen_text(h.app).splitlines()[0])
        await pilot.pause()
        lines = [m.text for m in h.app.messages]  # type: ignore[attr-defined]
        assert len([line for line in lines if line.startswith("degraded: ")]) == 1, lines
        assert not [line for line in lines if line.startswith(("link ", "recovered"))], lines
