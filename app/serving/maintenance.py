"""What the server does by itself every day: the purge, and a signed checkpoint over the audit log."""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable

from app.audit import log as audit
from app.common.clock import SYSTEM_CLOCK
from app.instance.folder import Instance
from app.registrations import retention

log = logging.getLogger("gatehouse")


def run_daily(instance: Instance) -> retention.PurgeReport:
    """Purge what is due today, then sign the log's head (which the purge's own entry may have moved)."""
    with instance.connection() as connection:
        report = retention.purge(connection, instance.event, retention.purge_day(connection))
        audit.sign_head(connection, instance.event.id)
    return report


def seconds_until_next_run(now: datetime.datetime | None = None) -> float:
    """Until five minutes past the next midnight, UTC: the first moment of a new day, with room for drift."""
    now = now or SYSTEM_CLOCK.now()
    next_run = datetime.datetime.combine(now.date() + datetime.timedelta(days=1), datetime.time(0, 5), datetime.UTC)
    return (next_run - now).total_seconds()


class DailyMaintenance(threading.Thread):
    """A timer inside the server process, so retention never depends on an external scheduler being set up."""

    def __init__(self, instance: Instance, wait: Callable[[], float] = seconds_until_next_run) -> None:
        super().__init__(name="gatehouse-daily", daemon=True)
        self._instance = instance
        self._wait = wait
        self._stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        while not self._stopped.wait(self._wait()):
            try:
                run_daily(self._instance)
                self.runs += 1
            except Exception as error:  # noqa: BLE001 - the timer must survive a bad day; tomorrow it tries again
                log.error("daily maintenance failed: %s", type(error).__name__)

    def stop(self) -> None:
        self._stopped.set()
