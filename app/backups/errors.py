"""The refusals of backups and restores: each one sentence, said before anything is written."""

from __future__ import annotations

from pathlib import Path

from app.common.errors import GatehouseError


class BackupError(GatehouseError):
    """A backup, a rotation, a withdrawal record or a restore that cannot be done; nothing was written."""


class FolderHoldsInstance(BackupError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} already holds a Gatehouse instance (or part of one): a restore makes a new one, so give an"
            " empty or new folder. Nothing was written."
        )


class WrongRecoveryWords(BackupError):
    def __init__(self, why: str = "") -> None:
        super().__init__(
            f"those are not recovery words: {why}. Only this event's 24 recovery words open its backup."
            " Nothing was written."
            if why
            else "these recovery words do not open this backup: only this event's 24 recovery words do (or the"
            " start of the file is damaged). Nothing was written."
        )


class BackupUnreadable(BackupError):
    """The file is not a backup this Gatehouse can restore: damaged, cut short, of another kind or version."""
