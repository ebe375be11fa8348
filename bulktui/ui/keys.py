"""Every key the console answers to, as Textual bindings: each has an id, a short description
(the footer) and a tooltip (the help screen and the palette). The help screen, the command
palette and the set of keys typed away while the filter box opens are generated from these
bindings; nobody keeps a second list.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding

# Actions that change jobs on the server: ``--read-only`` removes them from the footer, the
# help and the palette (``ConsoleApp.check_action`` refuses them).
CHANGES_JOBS = frozenset({"close_job", "abort_job", "new_job", "ask_job_id"})


def _key(
    keys: str,
    action: str,
    description: str,
    tooltip: str,
    id: str,
    *,
    show: bool = True,
    key_display: str | None = None,
) -> Binding:
    # Every key on the job list is a priority binding, so keys act in the order they were
    # typed even when several arrive at once (a paste, a slow SSH link): "j a" aborts the job
    # below, never the one the cursor left. A non-priority binding runs only after the key has
    # travelled through the focused widget, so a later priority key could overtake it.
    return Binding(
        keys,
        action,
        description,
        show=show,
        key_display=key_display,
        priority=True,
        tooltip=tooltip,
        id=id,
    )


# The job list's commands: in the footer (when shown), the help and the palette.
COMMAND_BINDINGS: tuple[Binding, ...] = (
    _key(
        "question_mark", "app.help", "help", "show every key (this help)", "help", key_display="?"
    ),
    _key(
        "c",
        "app.close_job",
        "close",
        "close the selected job (Open jobs; a 2.0 ingest job: mark upload complete)",
        "close",
    ),
    _key("a", "app.abort_job", "abort", "abort the selected job (if its state allows)", "abort"),
    _key("n", "app.new_job", "new", "create a new Bulk API job", "new"),
    _key(
        "slash",
        "start_filter",
        "filter",
        "filter the jobs: words match id, object, operation, state, user, and live, running, "
        "loading, failed, flagged, purged, invalid, v1, v2, v2 query",
        "filter",
        key_display="/",
    ),
    # Sort and mine are left out of the footer so the rest fits 80 columns; the help has them.
    _key("s", "cycle_sort", "sort", "cycle the sort column", "sort", show=False),
    _key("S", "reverse_sort", "reverse", "reverse the sort", "reverse-sort", show=False),
    _key("m", "only_mine", "mine", "only my jobs / everyone's jobs", "mine", show=False),
    _key(
        "r",
        "app.refresh",
        "refresh",
        "refresh now (while paused: once, then stay paused)",
        "refresh",
    ),
    _key("p", "app.pause", "pause", "pause or resume live refresh", "pause"),
    _key(
        "plus,equals_sign",
        "app.change_interval(-1)",
        "faster",
        "refresh more often",
        "faster",
        show=False,
        key_display="+",
    ),
    _key(
        "minus",
        "app.change_interval(1)",
        "slower",
        "refresh less often",
        "slower",
        show=False,
        key_display="-",
    ),
    _key(
        "y",
        "app.copy_id",
        "copy id",
        "send the job id to the terminal's clipboard (OSC 52)",
        "copy-id",
        show=False,
    ),
    _key("l", "app.message_log", "log", "show the last 100 messages, with their time", "log"),
    _key(
        "h",
        "app.history",
        "history",
        "history: jobs Salesforce purged, from the journal",
        "history",
        show=False,
    ),
)

# Moving around the job list: in the help only.
NAVIGATION_BINDINGS: tuple[Binding, ...] = (
    _key("up,k", "move('up')", "up", "move the cursor up", "up", show=False),
    _key("down,j", "move('down')", "down", "move the cursor down", "down", show=False),
    _key("pageup", "move('page_up')", "page up", "a page up", "page-up", show=False),
    _key("pagedown", "move('page_down')", "page down", "a page down", "page-down", show=False),
    _key("home", "move('first')", "first", "the first job", "first", show=False),
    _key("end", "move('last')", "last", "the last job", "last", show=False),
    _key(
        "enter",
        "move('choose')",
        "detail",
        "the job's detail; on a batch: its failed records",
        "detail",
        show=False,
    ),
    _key("escape", "clear_filter", "clear filter", "clear the filter", "clear-filter", show=False),
)

MAIN_BINDINGS: tuple[Binding, ...] = COMMAND_BINDINGS + NAVIGATION_BINDINGS

# Everywhere in the console (not priority: a dialog's own keys come first).
APP_BINDINGS: tuple[Binding, ...] = (
    Binding("q", "app.quit", "quit", tooltip="quit (asks again while an action waits)", id="quit"),
    # htop and k9s quit on Ctrl+C; Textual's default only tells you to press Ctrl+Q.
    Binding(
        "ctrl+c", "app.quit", "quit", show=False, priority=True, tooltip="quit", id="quit-ctrl-c"
    ),
    Binding("question_mark", "app.help", "help", show=False, tooltip="every key", id="app-help"),
    Binding(
        "l", "app.message_log", "log", show=False, tooltip="the last 100 messages", id="app-log"
    ),
    # Reached only when --read-only made the job list's own c, a and n bindings inactive.
    Binding(
        "c,a,n",
        "app.refuse_read_only",
        "read-only",
        show=False,
        tooltip="close, abort, new: disabled by --read-only",
        id="read-only",
    ),
)

# Palette entries without a key of their own: (title, action, help).
PALETTE_ONLY: tuple[tuple[str, str, str], ...] = (
    ("Abort job… (by id)", "app.ask_job_id('abort')", "type or paste a job id"),
    ("Close job… (by id)", "app.ask_job_id('close')", "type or paste a job id"),
    ("Change the theme", "app.change_theme", "bulktui's themes and Textual's"),
)

# How keys are written in the help and the palette.
_KEY_NAMES = {
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "question_mark": "?",
    "slash": "/",
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
}


def key_text(binding: Binding) -> str:
    """The binding's keys as a user types them: ``↑ k``, ``PgUp``, ``?``."""
    if binding.key_display:
        return binding.key_display
    return " ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def action_name(action: str) -> tuple[str, str]:
    """``app.change_interval(-1)`` → ("app", "change_interval"); no namespace → ("", name)."""
    namespace, _, name = action.split("(", 1)[0].rpartition(".")
    return namespace, name


def typed_away_actions(bindings: Iterable[Binding] = MAIN_BINDINGS) -> frozenset[str]:
    """App actions bound on the job list: while its filter box is opening they must not run
    (every key typed then is filter text)."""
    return frozenset(name for ns, name in (action_name(b.action) for b in bindings) if ns == "app")


# Steps for + and - (seconds).
INTERVAL_STEPS: tuple[float, ...] = (1, 2, 3, 5, 10, 15, 30, 60, 120, 300)


def next_interval(current: float, direction: int) -> float:
    """The next step up (direction 1) or down (-1) from ``current``."""
    if direction > 0:
        bigger = [s for s in INTERVAL_STEPS if s > current + 1e-9]
        return bigger[0] if bigger else INTERVAL_STEPS[-1]
    smaller = [s for s in INTERVAL_STEPS if s < current - 1e-9]
    return smaller[-1] if smaller else INTERVAL_STEPS[0]
