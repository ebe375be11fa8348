"""Every key the console answers to, in one table: the help screen is generated from it."""

from __future__ import annotations

MAIN_KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓  j k", "move the cursor"),
    ("PgUp PgDn Home End", "move a page, to the first or the last job"),
    ("enter", "job detail; on a batch: its failed records"),
    ("c", "close the selected job (Open jobs only)"),
    ("a", "abort the selected job (Open or Closed jobs)"),
    ("n", "new job"),
    ("/", "filter (words match id, object, operation, state, user)"),
    ("escape", "clear the filter; in a dialog or view: go back"),
    ("s  S", "cycle the sort column / reverse it"),
    ("m", "only my jobs / all jobs"),
    ("r", "refresh now"),
    ("p", "pause or resume live refresh"),
    ("+  -", "refresh more often / less often"),
    ("y", "copy the job id (OSC 52); it is also shown"),
    ("?", "this help"),
    ("ctrl+p", "command palette: every action, themes, abort/close job by id"),
    ("q", "quit"),
)

DIALOG_KEYS: tuple[tuple[str, str], ...] = (
    ("y", "confirm close / abort"),
    ("n  escape", "cancel"),
    ("tab  ← →", "move between the buttons; enter presses the focused one"),
)

DETAIL_KEYS: tuple[tuple[str, str], ...] = (
    ("tab", "switch between the fields and the batches"),
    ("enter", "on a batch: its failed records, grouped by error code"),
    ("escape", "back to the job list"),
)

# Steps for + and - (seconds).
INTERVAL_STEPS: tuple[float, ...] = (1, 2, 3, 5, 10, 15, 30, 60, 120, 300)


def next_interval(current: float, direction: int) -> float:
    """The next step up (direction 1) or down (-1) from ``current``."""
    if direction > 0:
        bigger = [s for s in INTERVAL_STEPS if s > current + 1e-9]
        return bigger[0] if bigger else INTERVAL_STEPS[-1]
    smaller = [s for s in INTERVAL_STEPS if s < current - 1e-9]
    return smaller[-1] if smaller else INTERVAL_STEPS[0]
