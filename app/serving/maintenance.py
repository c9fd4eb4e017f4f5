"""What the server does by itself every day: the purge, a signed checkpoint over the audit log, and, when a backup
folder is configured, the deletion of every backup there whose first due day has come."""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from app.audit import log as audit
from app.backups import rotation
from app.common.clock import SYSTEM_CLOCK
from app.instance.folder import Instance
from app.registrations import retention

log = logging.getLogger("gatehouse")


def run_daily(instance: Instance, backup_folder: Path | None = None, at_start: bool = False) -> retention.PurgeReport:
    """Purge what is due today, then sign the log's head (which the purge's own entry may have moved); then delete
    the backups in ``backup_folder`` that are due (`gatehouse backup --into` also does, when it runs).

    At start (retention.purge_at_start), a scrub another change marked waits for the night: a start with nothing
    due never rewrites the whole file.
    """
    with instance.connection() as connection:
        today = retention.purge_day(connection)
        if at_start:
            report = retention.purge_at_start(connection, instance.event, today)
        else:
            report = retention.purge(connection, instance.event, today)
        audit.sign_head(connection, instance.event.id)
    if backup_folder is not None:
        for deleted in rotation.rotate(backup_folder, instance.event.id, today):
            log.info("deleted a backup whose first due day has come: %s", deleted.path.name)
    return report


def seconds_until_next_run(now: datetime.datetime | None = None) -> float:
    """Until five minutes past the next midnight, UTC: the first moment of a new day, with room for drift."""
    now = now or SYSTEM_CLOCK.now()
    next_run = datetime.datetime.combine(now.date() + datetime.timedelta(days=1), datetime.time(0, 5), datetime.UTC)
    return (next_run - now).total_seconds()


class DailyMaintenance(threading.Thread):
    """A timer inside the server process, so retention never depends on an external scheduler being set up."""

    def __init__(
        self,
        instance: Instance,
        wait: Callable[[], float] = seconds_until_next_run,
        backup_folder: Path | None = None,
    ) -> None:
        super().__init__(name="gatehouse-daily", daemon=True)
        self._instance = instance
        self._backup_folder = backup_folder
        self._wait = wait
        self._stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        while not self._stopped.wait(self._wait()):
            try:
                run_daily(self._instance, self._backup_folder)
                self.runs += 1
            except Exception as error:  # noqa: BLE001 - the timer must survive a bad day; tomorrow it tries again
                log.error("daily maintenance failed: %s", type(error).__name__)

    def stop(self) -> None:
        self._stopped.set()
