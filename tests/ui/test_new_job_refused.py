"""A create that Salesforce refuses keeps what was typed; a fixed field clears its message."""

from __future__ import annotations

from textual.widgets import Input, Static

from bulktui.ui.screens.new_job import NewJobModal
from tests.ui.harness import build, started, wait_until
from tests.ui.seeds import small_org


def error_text(modal: NewJobModal) -> str:
    return str(modal.query_one("#error", Static).content).strip()


async def test_a_refused_create_reopens_the_dialog_with_what_was_typed() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        before = set(h.engine.jobs)
        await pilot.press("n")
        await pilot.press(*"Nope__c")  # the emulator knows no such object: InvalidJob
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                isinstance(h.app.screen, NewJobModal)
                and bool(
                    error_text(h.app.screen)  # type: ignore[arg-type]
                )
            ),
        )
        modal = h.app.screen
        assert isinstance(modal, NewJobModal)
        assert modal.query_one("#object", Input).value == "Nope__c"
        assert "Nope__c" in error_text(modal)
        assert set(h.engine.jobs) == before  # nothing was created


async def test_a_stale_validation_message_clears_when_the_field_is_fixed() -> None:
    h = build(small_org)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.press("n")
        modal = h.app.screen
        assert isinstance(modal, NewJobModal)
        modal.query_one("#object", Input).value = "Acc ount"
        modal._submit()
        await pilot.pause()
        assert "not an API name" in error_text(modal)
        modal.query_one("#object", Input).value = "Account"
        await pilot.pause()
        assert error_text(modal) == ""
