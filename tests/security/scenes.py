"""Ordinary use of a running server, over HTTP, that each attack starts from."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.storage import db
from tests.security import canaries, visitor

DATABASE_FILES = (db.DATABASE_FILE, f"{db.DATABASE_FILE}-wal", f"{db.DATABASE_FILE}-shm")


def a_working_day(url: str, team, participants: int = 6) -> list[visitor.Participant]:
    """Registrations with canaries; one approved who then sends passport and travel details, and is sent a
    message that they read and answer; one rejected; records opened with a reason; everyone logged out again."""
    registered = [visitor.register(url, canaries.canary_answers(number)) for number in range(participants)]
    ana = visitor.log_in(url, team["ana"])
    approved, rejected = (visitor.registration_id_of(ana, p.pseudonym) for p in registered[:2])
    visitor.decide(ana, approved, "approved")
    visitor.decide(ana, rejected, "rejected")
    notice = visitor.send_follow_up(registered[0], canaries.follow_up_answers(0))
    assert notice.status == 200 and 'id="notice"' in notice.html, notice.html[:500]
    assert visitor.send_message(ana, approved, canaries.canary(0, "message")).status == 303
    answered = visitor.answer(registered[0], canaries.canary(0, "answer"))
    assert answered.status == 200 and 'id="notice"' in answered.html, answered.html[:500]
    assert visitor.open_record(ana, approved, "badge printing").status == 200
    visitor.log_out(ana)
    return registered


def copy_database_files(instance_path: Path, destination: Path, with_key_file: bool = False) -> Path:
    """What someone copying the disk takes: the database, its WAL and shm (and, if they can, secret.key)."""
    destination.mkdir(parents=True)
    names = (*DATABASE_FILES, "secret.key") if with_key_file else DATABASE_FILES
    for name in names:
        if (instance_path / name).exists():
            shutil.copy(instance_path / name, destination / name)
    return destination / db.DATABASE_FILE
