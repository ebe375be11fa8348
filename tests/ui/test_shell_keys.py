"""Keys come from the bindings: the help, the palette, the footer and --read-only agree."""

from __future__ import annotations

from textual.widgets import Footer

from bulktui.ui import keys
from bulktui.ui.commands import commands
from bulktui.ui.screens.help import HelpScreen
from tests.ui.harness import build, screen_text, started

JOB_CHANGING = ("close", "abort", "new")


def footer_text(app: object) -> str:
    return screen_text(app).splitlines()[-1]  # type: ignore[arg-type]


def test_every_binding_has_an_id_and_words() -> None:
    for binding in (*keys.MAIN_BINDINGS, *keys.APP_BINDINGS):
        assert binding.id and binding.description and binding.tooltip
    ids = [b.id for b in (*keys.MAIN_BINDINGS, *keys.APP_BINDINGS)]
    assert len(ids) == len(set(ids))


def test_keys_typed_away_while_the_filter_opens_are_the_job_lists_app_actions() -> None:
    typed_away = keys.typed_away_actions()
    assert {"close_job", "abort_job", "new_job", "copy_id", "help"} <= typed_away
    assert "move" not in typed_away and "start_filter" not in typed_away


async def test_read_only_removes_close_abort_and_new_everywhere() -> None:
    h = build(read_only=True)
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        footer = footer_text(h.app)
        assert "filter" in footer and "refresh" in footer
        for word in JOB_CHANGING:
            assert f" {word} " not in f" {footer} "
        titles = [c.title for c in commands(h.app, h.app.screen)]
        assert titles and not any(
            t.lower().startswith(("close", "abort", "create")) for t in titles
        ), titles
        await pilot.press("question_mark")
        assert isinstance(h.app.screen, HelpScreen)
        text = h.app.screen.plain
        for binding in keys.COMMAND_BINDINGS:
            if binding.id in JOB_CHANGING:
                assert binding.tooltip not in text
        assert "disabled by --read-only" in text


async def test_without_read_only_the_footer_and_palette_offer_them() -> None:
    h = build()
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        h.app.screen.query_one(Footer)
        footer = footer_text(h.app)
        for word in JOB_CHANGING:
            assert f" {word} " in f" {footer} "
        titles = [c.title for c in commands(h.app, h.app.screen)]
        assert any(t.startswith("Abort job") for t in titles)


async def test_the_palette_lists_only_bulktuis_commands_and_each_runs() -> None:
    h = build()
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        main = h.app.screen
        entries = commands(h.app, main)
        titles = {c.title for c in entries}
        for textual_only in ("Screenshot", "Maximize", "Keys", "Theme"):
            assert textual_only not in titles
        skip = ("app.quit", "app.close_job", "app.abort_job", "app.new_job", "app.ask_job_id")
        for entry in entries:
            if entry.action.startswith(skip):
                continue
            assert await h.app.run_action(entry.action, main), entry
            await pilot.pause()
            while h.app.screen is not main:
                h.app.pop_screen()
                await pilot.pause()
        assert h.app.is_running


async def test_ctrl_c_quits() -> None:
    h = build()
    async with h.app.run_test(size=(120, 35)) as pilot:
        await started(pilot, h)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not h.app.is_running
