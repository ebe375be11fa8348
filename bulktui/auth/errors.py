"""Errors of the credentials layer. Every message is plain words, safe to show, and never holds
a secret: they name files, profiles, users and commands, never a password or a token."""

from __future__ import annotations

from bulktui.api.errors import BulkError
from bulktui.core import files


class AuthInputError(BulkError):
    """Bad input the user can fix (exit code 2): an unknown profile, an unreadable key file,
    a corrupt config file, a wrong password, a missing setting."""


class ProfileNotFoundError(AuthInputError):
    """No profile of that name in the config file."""


class ConfigFileError(AuthInputError, files.ConfigFileError):
    """The profiles file exists but cannot be read or written, is not a regular file, or is
    not valid TOML (names file and line)."""


class KeyFileError(AuthInputError):
    """The JWT private key file is missing, unreadable or not a PEM private key."""


class LoginRejectedError(AuthInputError):
    """The login server said no: INVALID_LOGIN, invalid_grant, invalid_client, …"""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class KeyringUnavailableError(AuthInputError):
    """No usable keyring backend (keyring's fail backend on a headless host), or it is locked.

    ``advice`` holds the few lines explaining the three ways out; ``message`` is one line."""

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message)
        self.advice = advice


class KeyringAccessError(AuthInputError):
    """The keyring exists but refused: locked, wrong master password, D-Bus error."""


class SfCliError(AuthInputError):
    """The Salesforce CLI is missing, failed, or printed something we cannot read."""


class LoginTransportError(BulkError):
    """The login server could not be reached or answered with something that is not a login
    answer (HTML, a 5xx). Not the user's input: exit code 1."""
