"""A folder of backups: how each is named, and rotation, which deletes every backup whose first due day has come
and all but the newest few.

The server cannot open a backup (only the recovery words do), so the first due day it was written with is in
its name as well as in its authenticated header: gatehouse-backup-EVENT-TAKEN-NN-due-DAY.ghb, DAY being "none"
for a backup that holds no value. Whoever can rename files in the folder could as well copy them away, so the
name is trusted for rotation; a restore reads the header.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from app.backups.errors import BackupError
from app.common.secret_files import overwrite_and_remove

_NAME = re.compile(
    r"gatehouse-backup-(?P<event>[a-z0-9_-]+)-(?P<taken>\d{4}-\d\d-\d\d)-(?P<number>\d+)-due-(?P<due>\d{4}-\d\d-\d\d|none)\.ghb"
)


@dataclass(frozen=True, order=True)
class BackupFile:
    """A backup in the folder, by the day it was taken and its number that day."""

    taken: datetime.date
    number: int
    first_due: datetime.date | None  # None: it holds no value
    path: Path

    def is_due(self, today: datetime.date) -> bool:
        return self.first_due is not None and self.first_due <= today


def check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise BackupError(f"there is no folder {folder}: make it first (mkdir -m 700 {folder}). Nothing was written.")


def backups_in(folder: Path, event_id: str) -> list[BackupFile]:
    """This event's backups in the folder, oldest first; files named otherwise are not Gatehouse's to touch."""
    found = []
    for path in folder.iterdir():
        match = _NAME.fullmatch(path.name)
        if match is None or match["event"] != event_id or not path.is_file() or path.is_symlink():
            continue
        try:
            taken = datetime.date.fromisoformat(match["taken"])
            due = None if match["due"] == "none" else datetime.date.fromisoformat(match["due"])
        except ValueError:
            continue
        found.append(BackupFile(taken, int(match["number"]), due, path))
    return sorted(found)


def next_name(folder: Path, event_id: str, taken: datetime.date, first_due: datetime.date | None) -> Path:
    numbers = [backup.number for backup in backups_in(folder, event_id) if backup.taken == taken]
    due = first_due.isoformat() if first_due is not None else "none"
    return folder / f"gatehouse-backup-{event_id}-{taken.isoformat()}-{max(numbers, default=0) + 1:02d}-due-{due}.ghb"


def rotate(folder: Path, event_id: str, today: datetime.date, keep: int | None = None) -> list[BackupFile]:
    """Delete every backup of the event whose first due day has come, then (with ``keep``) all but the newest
    ``keep``; returns the backups deleted."""
    check_folder(folder)
    if keep is not None and keep < 1:
        raise BackupError("keep at least one backup: --keep 0 would delete the one just made. Nothing was written.")
    backups = backups_in(folder, event_id)
    doomed = [backup for backup in backups if backup.is_due(today)]
    remaining = [backup for backup in backups if not backup.is_due(today)]
    if keep is not None:
        doomed += remaining[: max(0, len(remaining) - keep)]
    for backup in doomed:
        overwrite_and_remove(backup.path)
    return sorted(doomed)
