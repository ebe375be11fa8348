"""Login profiles: the non-secret settings of each org login, in one TOML file.

The file is ``<platformdirs user config dir>/bulktui/profiles.toml``::

    # bulktui login profiles. No secrets here: they live in the OS keyring (service "bulktui").
    default = "prod"

    [profiles.prod]
    method = "oauth"
    login_url = "https://login.salesforce.com"
    instance_url = "https://acme.my.salesforce.com"
    username = "ops@acme.example"
    client_id = "3MVG9..."

Secrets are never written here; ``Profile`` has no field that could hold one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import platformdirs

from bulktui.api.connection import DEFAULT_API_VERSION, InsecureUrlError, check_url
from bulktui.auth.errors import AuthInputError, ConfigFileError, ProfileNotFoundError
from bulktui.core import files
from bulktui.text import is_safe

APP_NAME = "bulktui"
CONFIG_FILE_NAME = "profiles.toml"
DEFAULT_PROFILE = "default"
DEFAULT_LOGIN_URL = "https://login.salesforce.com"
SANDBOX_LOGIN_URL = "https://test.salesforce.com"
MAX_FILE_BYTES = 1_000_000  # a profiles file is a few hundred bytes per profile
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Method(StrEnum):
    SF = "sf"
    JWT = "jwt"
    OAUTH = "oauth"
    PASSWORD = "password"
    SESSION = "session"


class KeyringChoice(StrEnum):
    """Where a profile's secrets live."""

    SYSTEM = "system"  # the OS keyring (Secret Service, macOS Keychain, Windows Credential Locker)
    ENCRYPTED_FILE = "encrypted-file"  # keyrings.cryptfile, master password asked up front
    NONE = "none"  # --no-store: asked for on every run, kept in memory only


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    method: Method
    login_url: str = DEFAULT_LOGIN_URL
    instance_url: str | None = None
    username: str | None = None
    api_version: str | None = None
    client_id: str | None = None
    key_file: str | None = None  # jwt: path of the PEM private key (or the key is in the keyring)
    target_org: str | None = None  # sf: the CLI alias or username
    keyring: KeyringChoice = KeyringChoice.SYSTEM
    # The OS keyring backend the secrets were written to (module.Class), so later runs load it
    # directly instead of probing every backend (~0.2 s). Only OS backends are ever recorded.
    keyring_backend: str | None = None
    ca_file: str | None = None

    @property
    def effective_api_version(self) -> str:
        return self.api_version or DEFAULT_API_VERSION

    @property
    def uses_soap_login(self) -> bool:
        return self.method is Method.PASSWORD and not self.client_id

    def to_table(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in fields(self):
            if f.name == "name":
                continue
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "login_url" and value == DEFAULT_LOGIN_URL:
                continue
            if f.name == "keyring" and value is KeyringChoice.SYSTEM:
                continue
            out[f.name] = str(value)
        return out


def check_profile_name(name: str) -> str:
    if not _NAME.match(name):
        raise AuthInputError(
            f"bad profile name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)"
        )
    return name


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME)


def config_path() -> Path:
    return config_dir() / CONFIG_FILE_NAME


_STR_FIELDS = {f.name for f in fields(Profile)} - {"name", "method", "keyring"}


def _line_of(text: str, pattern: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(pattern, line.strip()):
            return number
    return None


def _parse_profile(name: str, table: Any, path: Path, text: str) -> Profile:
    where_line = _line_of(text, rf"\[\s*profiles\.\"?{re.escape(name)}\"?\s*\]")
    where = f"{path}" + (f", line {where_line}" if where_line else "")

    def bad(what: str) -> ConfigFileError:
        return ConfigFileError(f"{where}: profile {name!r}: {what}")

    if not isinstance(table, dict):
        raise bad("must be a table")
    if not _NAME.match(name):
        raise bad("bad profile name")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "method":
            try:
                values["method"] = Method(value)
            except ValueError:
                raise bad(
                    f"method must be one of {', '.join(m.value for m in Method)}, not {value!r}"
                ) from None
        elif key == "keyring":
            try:
                values["keyring"] = KeyringChoice(value)
            except ValueError:
                raise bad(
                    "keyring must be one of "
                    f"{', '.join(k.value for k in KeyringChoice)}, not {value!r}"
                ) from None
        elif key in _STR_FIELDS:
            if not isinstance(value, str):
                raise bad(f"{key} must be a string")
            values[key] = value
        # Unknown keys are ignored: a newer bulktui may have written them.
    if "method" not in values:
        raise bad("has no method")
    return Profile(name=name, **values)


@dataclass(frozen=True, slots=True)
class ProfileFile:
    """The parsed file: the profiles by name and the default's name."""

    profiles: Mapping[str, Profile]
    default: str | None

    @property
    def default_name(self) -> str:
        return self.default or DEFAULT_PROFILE


class ProfileStore:
    """Reads and writes the profiles file. Every write replaces the file atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_path()

    def read(self) -> ProfileFile:
        try:
            text = files.read_config_text(self.path, MAX_FILE_BYTES)
        except FileNotFoundError:
            return ProfileFile({}, None)
        except files.ConfigFileError as exc:
            raise ConfigFileError(str(exc)) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigFileError(_describe_toml_error(self.path, str(exc))) from None
        default = data.get("default")
        if default is not None and not isinstance(default, str):
            line = _line_of(text, r"default\s*=")
            raise ConfigFileError(
                f"{self.path}" + (f", line {line}" if line else "") + ": default must be a string"
            )
        table = data.get("profiles", {})
        if not isinstance(table, dict):
            line = _line_of(text, r"profiles\s*=")
            raise ConfigFileError(
                f"{self.path}"
                + (f", line {line}" if line else "")
                + ": profiles must be a table of tables"
            )
        profiles = {name: _parse_profile(name, t, self.path, text) for name, t in table.items()}
        return ProfileFile(profiles, default)

    def names(self) -> list[str]:
        return sorted(self.read().profiles)

    def resolve_name(self, name: str | None) -> str:
        """The profile to use: the given name, else the file's default, else "default"."""
        if name:
            return check_profile_name(name)
        return self.read().default_name

    def get(self, name: str | None) -> Profile:
        data = self.read()
        wanted = name or data.default_name
        try:
            return data.profiles[wanted]
        except KeyError:
            known = ", ".join(sorted(data.profiles)) or "none yet"
            raise ProfileNotFoundError(
                f"no profile named {wanted!r} in {self.path} (profiles: {known}); "
                f"create it with `bulktui login --profile {wanted} --method ...`"
            ) from None

    def find(self, name: str) -> Profile | None:
        return self.read().profiles.get(name)

    def save(self, profile: Profile, *, make_default: bool = False) -> None:
        check_profile_name(profile.name)
        data = self.read()
        profiles = dict(data.profiles)
        profiles[profile.name] = profile
        default = data.default
        if make_default or not default or default not in profiles:
            default = profile.name
        self._write(profiles, default)

    def delete(self, name: str) -> bool:
        data = self.read()
        if name not in data.profiles:
            return False
        profiles = {k: v for k, v in data.profiles.items() if k != name}
        default = data.default if data.default != name else None
        self._write(profiles, default)
        return True

    def set_default(self, name: str) -> None:
        data = self.read()
        if name not in data.profiles:
            raise ProfileNotFoundError(f"no profile named {name!r} in {self.path}")
        self._write(dict(data.profiles), name)

    def _write(self, profiles: Mapping[str, Profile], default: str | None) -> None:
        text = render(profiles, default)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".profiles.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise ConfigFileError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise ConfigFileError(f"cannot write {self.path}: {exc.strerror or exc}") from None
            raise


def _describe_toml_error(path: Path, message: str) -> str:
    # tomllib says e.g. "Invalid value (at line 3, column 9)": lead with the file and line.
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        what = message[: match.start()].strip() or "syntax error"
        return (
            f"{path}, line {match.group(1)}: not valid TOML ({what.lower()} "
            f"at column {match.group(2)})"
        )
    return f"{path}: not valid TOML ({message})"


def _toml_string(value: str) -> str:
    # The same rule as every screen's (bulktui/text.py): no control, C1 or format
    # character is ever written, so no later `bulktui profiles` can print one.
    if not is_safe(value):
        raise AuthInputError(
            "settings may not contain control characters or Unicode format characters"
        )
    # JSON's escaping of a str is a valid TOML basic string when non-ASCII is left alone.
    return json.dumps(value, ensure_ascii=False)


def render(profiles: Mapping[str, Profile], default: str | None) -> str:
    lines = [
        "# bulktui login profiles, written by `bulktui login`.",
        '# No secrets here: they live in the OS keyring under the service "bulktui".',
    ]
    if default:
        lines.append(f"default = {_toml_string(default)}")
    for name in sorted(profiles):
        lines.append("")
        lines.append(f"[profiles.{check_profile_name(name)}]")
        for key, value in profiles[name].to_table().items():
            lines.append(f"{key} = {_toml_string(value)}")
    return "\n".join(lines) + "\n"


def check_login_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url
    try:
        check_url(url)
    except InsecureUrlError as exc:
        raise AuthInputError(f"login URL: {exc}") from None
    return url


def merged(base: Profile | None, **changes: Any) -> Profile:
    """``base`` with the non-None ``changes`` applied (a new profile when base is None)."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if base is None:
        return Profile(**changes)
    return replace(base, **changes)
