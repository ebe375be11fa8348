"""Sessions, refresh tokens and pending device-flow codes, all timed by the engine clock."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

_ALNUM = string.ascii_letters + string.digits


def _token(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass(slots=True)
class Session:
    user_id: str
    expires_at: datetime


@dataclass(slots=True)
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    expires_at: datetime
    polls: int = 0
    approved: bool = False
    used: bool = False


class SessionStore:
    def __init__(self, org_id: str) -> None:
        self._org15 = org_id[:15]
        self._sessions: dict[str, Session] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> user id
        self._devices: dict[str, DeviceCode] = {}

    # ------------------------------------------------------------------ sessions

    def issue(self, user_id: str, now: datetime, seconds: float) -> str:
        # The real shape: the org id, "!", then an opaque part (here 92 characters).
        token = f"{self._org15}!AQ{_token(6)}.{_token(84)}"
        self._sessions[token] = Session(user_id, now + timedelta(seconds=seconds))
        return token

    def user_for(self, token: str | None, now: datetime) -> str | None:
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        if session.expires_at <= now:
            del self._sessions[token]
            return None
        return session.user_id

    def expire_all(self) -> int:
        count = len(self._sessions)
        self._sessions.clear()
        return count

    # ------------------------------------------------------------------ refresh tokens

    def issue_refresh(self, user_id: str) -> str:
        token = f"5Aep861{_token(80)}"
        self._refresh[token] = user_id
        return token

    def refresh_user(self, token: str) -> str | None:
        return self._refresh.get(token)

    def revoke_refresh_tokens(self) -> int:
        count = len(self._refresh)
        self._refresh.clear()
        return count

    # ------------------------------------------------------------------ device flow

    def start_device(self, client_id: str, now: datetime, seconds: float = 600) -> DeviceCode:
        user_code = "".join(secrets.choice(string.ascii_uppercase + "23456789") for _ in range(8))
        code = DeviceCode(
            device_code=f"M1D{_token(40)}",
            user_code=user_code,
            client_id=client_id,
            expires_at=now + timedelta(seconds=seconds),
        )
        self._devices[code.device_code] = code
        return code

    def device(self, device_code: str) -> DeviceCode | None:
        return self._devices.get(device_code)

    def approve_devices(self, user_code: str | None = None) -> int:
        """Approve the pending code with this user code, or every pending one."""
        count = 0
        for code in self._devices.values():
            if not code.used and (user_code is None or code.user_code == user_code.upper()):
                code.approved = True
                count += 1
        return count
