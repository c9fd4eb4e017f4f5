"""The ids of what the system destroyed: whole registrations, and single values the purge took.

Kept so that no restore from an older backup brings any of it back (app.backups), and so that a field kit
sending a registration again cannot revive one destroyed here. Ids only: a registration id is derived from a
keyed hash, a data key id is random, a field key is a name from the event definition; none reveals a value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.storage.connection import Connection


@dataclass(frozen=True, order=True)
class Destroyed:
    """A whole registration (field_key and data_key_id empty), or one of its values."""

    registration_id: str
    field_key: str = ""
    data_key_id: str = ""

    @property
    def whole(self) -> bool:
        return not self.field_key


def record_registration(connection: Connection, registration_id: str) -> None:
    """Inside the transaction that destroys it: the registration is gone, with whatever single values it had."""
    connection.execute("DELETE FROM destroyed_ids WHERE registration_id = ? AND field_key != ''", (registration_id,))
    connection.execute("INSERT OR IGNORE INTO destroyed_ids (registration_id) VALUES (?)", (registration_id,))


def record_values(connection: Connection, where: str, parameters: Iterable[object]) -> None:
    """Inside the purge's transaction, before it deletes them: the values of field_values matching ``where``."""
    # `where` is built by the purge from its own rules; every value is bound as a parameter.
    connection.execute(
        "INSERT OR IGNORE INTO destroyed_ids (registration_id, field_key, data_key_id)"  # noqa: S608
        f" SELECT registration_id, field_key, data_key_id FROM field_value_slots WHERE {where}",
        tuple(parameters),
    )


def was_destroyed(connection: Connection, registration_id: str) -> bool:
    row = connection.execute(
        "SELECT 1 FROM destroyed_ids WHERE registration_id = ? AND field_key = ''", (registration_id,)
    ).fetchone()
    return row is not None


def every_id(connection: Connection) -> list[Destroyed]:
    return [Destroyed(*row) for row in connection.execute("SELECT * FROM destroyed_ids ORDER BY 1, 2, 3")]


def add(connection: Connection, destroyed: Iterable[Destroyed]) -> None:
    """Inside a transaction: ids learnt from elsewhere (a withdrawal record given to a restore)."""
    for item in destroyed:
        if item.whole:
            record_registration(connection, item.registration_id)
        elif not was_destroyed(connection, item.registration_id):
            connection.execute(
                "INSERT OR IGNORE INTO destroyed_ids (registration_id, field_key, data_key_id) VALUES (?, ?, ?)",
                (item.registration_id, item.field_key, item.data_key_id),
            )
