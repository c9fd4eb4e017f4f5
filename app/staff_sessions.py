"""Staff sessions, held in server memory only: the cookie carries a random id, never a key or a name.

The compartment keys a staff member unlocked at login live here, and are gone at
logout, at idle expiry, and when the process ends: a restart leaves nothing usable.
Expiry runs on a timer while any session is open, not only when the next staff request
comes: a session someone walked away from must not keep its keys until the next login.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from app.keyring import HeldKeys

DEFAULT_IDLE_SECONDS = 15 * 60
MAX_EXPIRY_DELAY_SECONDS = 15.0  # how long past its idle time a session may keep its keys, at most


@dataclass
class StaffSession:
    staff_id: str
    username: str
    role: str
    keys: HeldKeys = field(repr=False)
    last_seen: float = 0.0

    def holds(self, compartment: str) -> bool:
        return any(c == compartment for c, _generation in self.keys)

    def compartments(self) -> list[str]:
        return sorted({c for c, _generation in self.keys})


class SessionStore:
    def __init__(self, idle_seconds: float = DEFAULT_IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, StaffSession] = {}
        self._lock = threading.Lock()
        self._expiry_timer: threading.Thread | None = None

    def start(self, session: StaffSession) -> str:
        token = secrets.token_urlsafe(32)
        session.last_seen = time.monotonic()
        with self._lock:
            self._sessions[token] = session
            if self._expiry_timer is None:
                self._expiry_timer = threading.Thread(
                    target=self._expire_on_time, name="gatehouse-sessions", daemon=True
                )
                self._expiry_timer.start()
        return token

    def _expire_on_time(self) -> None:
        """Runs while any session is open; ends with the last one, and the next login starts it again."""
        interval = max(0.1, min(self.idle_seconds / 4, MAX_EXPIRY_DELAY_SECONDS))
        while True:
            time.sleep(interval)
            with self._lock:
                self._expire(time.monotonic())
                if not self._sessions:
                    self._expiry_timer = None
                    return

    def get(self, token: str | None) -> StaffSession | None:
        """The live session for this token, kept alive by the use; None if unknown or idle too long."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            session = self._sessions.get(token or "")
            if session is not None:
                session.last_seen = now
            return session

    def end(self, token: str | None) -> None:
        with self._lock:
            session = self._sessions.pop(token or "", None)
        if session is not None:
            session.keys.clear()

    def end_all_for(self, staff_id: str) -> None:
        """End every session of one person: after a revocation or when an account is disabled."""
        with self._lock:
            for token in [t for t, s in self._sessions.items() if s.staff_id == staff_id]:
                self._sessions.pop(token).keys.clear()

    def end_all(self) -> None:
        """End every session and drop every unlocked key: after an emergency wipe."""
        with self._lock:
            while self._sessions:
                self._sessions.popitem()[1].keys.clear()

    def _expire(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items() if now - s.last_seen > self.idle_seconds]:
            self._sessions.pop(token).keys.clear()
