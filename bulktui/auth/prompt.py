"""Asking for secrets: a no-echo prompt on the terminal, or lines on stdin (``--secret-stdin``).

Only ever called before a TUI is drawn. Nothing here echoes or logs what was typed. With no
terminal and no ``--secret-stdin``, we fail with a clear line instead of blocking or reading
something unexpected.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bulktui.auth.errors import AuthInputError, KeyringUnavailableError

MASTER_PASSWORD_ENV = "BULKTUI_KEYRING_PASSWORD"


def has_terminal() -> bool:
    """Whether getpass can talk to a terminal (it uses /dev/tty, not stdin, on POSIX)."""
    if os.name != "posix":
        return sys.stdin is not None and sys.stdin.isatty()
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


class Prompter:
    def __init__(
        self,
        *,
        from_stdin: bool = False,
        stdin: TextIO | None = None,
        stderr: TextIO | None = None,
        ask: Callable[[str], str] | None = None,
        terminal: Callable[[], bool] | None = None,
        environ: dict[str, str] | None = None,
        no_terminal_hint: str = "pipe it in with --secret-stdin",
    ) -> None:
        self.no_terminal_hint = no_terminal_hint
        self.from_stdin = from_stdin
        self._stdin = stdin
        self._stderr = stderr
        self._ask_fn = ask
        self._terminal = terminal or (lambda: has_terminal())
        self._environ = environ if environ is not None else os.environ

    def _ask(self, prompt: str) -> str:
        try:
            if self._ask_fn is not None:
                return self._ask_fn(prompt)
            return getpass.getpass(prompt)
        except EOFError:
            raise AuthInputError("the terminal gave no input") from None

    @property
    def stdin(self) -> TextIO:
        return self._stdin or sys.stdin

    @property
    def stderr(self) -> TextIO:
        return self._stderr or sys.stderr

    def secret(self, label: str, *, optional: bool = False) -> str:
        """One secret. On stdin: the next line (an empty line for an optional one)."""
        if self.from_stdin:
            line = self.stdin.readline()
            if not line and not optional:
                raise AuthInputError(f"--secret-stdin: standard input ended before the {label}")
            value = line.rstrip("\r\n")
        else:
            if not self._terminal():
                raise AuthInputError(f"no terminal to ask for the {label}: {self.no_terminal_hint}")
            hint = " (Enter if none)" if optional else ""
            value = self._ask(f"{label[0].upper()}{label[1:]}{hint}: ")
        if not value and not optional:
            raise AuthInputError(f"the {label} may not be empty")
        return value

    def master_password(self, path: Path, new: bool) -> str:
        """The encrypted keyring file's master password: the environment, else the terminal."""
        env = self._environ.get(MASTER_PASSWORD_ENV)
        if env:
            return env
        if not self._terminal():
            raise KeyringUnavailableError(
                f"the encrypted keyring file {path} needs its master password: run from a "
                f"terminal or set {MASTER_PASSWORD_ENV}"
            )
        if not new:
            return self._ask(f"Master password for {path}: ")
        print(f"Creating the encrypted keyring file {path}.", file=self.stderr)
        for _ in range(3):
            first = self._ask("Choose a master password: ")
            if not first.strip():
                print("It may not be blank.", file=self.stderr)
                continue
            if self._ask("Type it again: ") == first:
                return first
            print("They did not match.", file=self.stderr)
        raise AuthInputError("no master password chosen")
