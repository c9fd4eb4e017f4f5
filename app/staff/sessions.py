"""Staff sessions, held in server memory only: the cookie carries a random id, never a key or a name.

The compartment keys a staff member unlocked at login live here, and are gone at logout, at idle
expiry, at the end of the session's absolute lifetime, and when the process ends: a restart leaves
nothing usable. Expiry runs on a timer while any session is open, not only when the next staff
request comes: a session someone walked away from must not keep its keys until the next login.

Every request checks the session against the database (``resume``): a disabled account, a changed
role or a deleted account ends it; a revoked grant takes that compartment's keys out of it. So a
change made on either front-end, in any process, reaches open sessions at their next request.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from app.common.actor import Actor
from app.common.clock import SYSTEM_CLOCK, Clock
from app.keys.keyring import HeldKeys
from app.registrations.review import Queue
from app.staff.accounts import standing
from app.storage.connection import Connection

DEFAULT_IDLE_SECONDS = 15 * 60
DEFAULT_LIFETIME_SECONDS = 8 * 3600  # a working day: a session in constant use still ends
MAX_EXPIRY_DELAY_SECONDS = 15.0  # how long past its idle time a session may keep its keys, at most


@dataclass
class StaffSession:
    staff_id: str
    username: str
    role: str
    keys: HeldKeys = field(repr=False)
    started: float = 0.0
    last_seen: float = 0.0
    language: str = ""  # the page language chosen at login or since: held here, so no cookie carries it
    # What this reader has opened with a logged reason and not closed: one record (its id and the reason), and
    # a review queue. Both stay open across pages until closed, replaced by the next opening, or the session ends.
    open_record: tuple[str, str] | None = None
    queue: Queue | None = field(default=None, repr=False)

    def holds(self, compartment: str) -> bool:
        return any(c == compartment for c, _generation in self.keys)

    def compartments(self) -> list[str]:
        return sorted({c for c, _generation in self.keys})

    def actor(self) -> Actor:
        return Actor(self.username, self.role, frozenset(self.compartments()))


class SessionStore:
    def __init__(
        self,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        lifetime_seconds: float = DEFAULT_LIFETIME_SECONDS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.lifetime_seconds = lifetime_seconds
        self._clock = clock
        self._sessions: dict[str, StaffSession] = {}
        self._lock = threading.Lock()
        self._expiry_timer: threading.Thread | None = None

    def start(self, session: StaffSession) -> str:
        token = secrets.token_urlsafe(32)
        session.started = session.last_seen = self._clock.monotonic()
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
                self._expire(self._clock.monotonic())
                if not self._sessions:
                    self._expiry_timer = None
                    return

    def get(self, token: str | None) -> StaffSession | None:
        """The live session for this token, kept alive by the use; None if unknown, idle too long or too old."""
        now = self._clock.monotonic()
        with self._lock:
            self._expire(now)
            session = self._sessions.get(token or "")
            if session is not None:
                session.last_seen = now
            return session

    def end(self, token: str | None) -> bool:
        """End the session this token names; False if it names none."""
        with self._lock:
            session = self._sessions.pop(token or "", None)
        if session is None:
            return False
        session.keys.clear()
        return True

    def end_all(self) -> None:
        """End every session and drop every unlocked key: after an emergency wipe."""
        with self._lock:
            while self._sessions:
                self._sessions.popitem()[1].keys.clear()

    def _expire(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items() if self._expired(s, now)]:
            self._sessions.pop(token).keys.clear()

    def _expired(self, session: StaffSession, now: float) -> bool:
        return now - session.last_seen > self.idle_seconds or now - session.started > self.lifetime_seconds


def resume(store: SessionStore, token: str | None, connection: Connection, event_id: str) -> StaffSession | None:
    """The session this token names, as the database has the account now; None (and the session ended) if
    the account is gone, disabled or has another role. Keys of compartments no longer granted are dropped."""
    session = store.get(token)
    if session is None:
        return None
    now = standing(connection, session.staff_id, event_id)
    if now is None or not now.active or now.role != session.role:
        store.end(token)
        return None
    if any(held not in now.grants for held in session.keys):
        # A new dict rather than deletions: another request of the same session may be reading this one.
        session.keys = {held: key for held, key in session.keys.items() if held in now.grants}
    return session
