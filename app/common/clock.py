"""The one clock: the day recorded for anything that happens, seconds for throttles and sessions, Unix time
for one-time codes.

Every part that needs the time is handed a Clock (the database connection carries one for the days it
records), so a test moves one clock by hand instead of patching functions by name.
"""

from __future__ import annotations

import datetime
import time


class Clock:
    """The system's clock, read in UTC. Gatehouse records days, never times of day."""

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    def monotonic(self) -> float:
        """Seconds that never go backwards: for idle timers, lifetimes and throttle windows."""
        return time.monotonic()

    def unix(self) -> float:
        """Seconds since 1970 (UTC): for one-time codes, which both ends count the same way."""
        return self.now().timestamp()

    def date(self) -> datetime.date:
        return self.now().date()

    def today(self) -> str:
        """Today's date in UTC, as YYYY-MM-DD: the only resolution at which Gatehouse records when."""
        return self.date().isoformat()


SYSTEM_CLOCK = Clock()
