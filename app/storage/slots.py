"""Sealed values in fixed slots: written once where they stand, zeroed where they stand, never moved.

A slot is a row of the rowid table ``sealed_slots`` (migration 0015) with a length, a used flag and content of
exactly that length. Slots are only ever appended, holding zeros, a batch at a time; a value is written into a
free slot of its length by an UPDATE of the same size, which SQLite makes in place; destroying it writes zeros
the same way. Appending to the end of a rowid table starts a new leaf page rather than moving cells, and no
slot is ever deleted, so no cell that holds a value moves: no B-tree rebalance leaves an older copy of it in an
unused part of a page, and destroying a value needs no VACUUM, only a checkpoint that empties the WAL
(db.checkpoint). `python -m benchmarks.stale_copies` and tests/security/test_destroyed_at_scale.py show it.

A free slot is drawn at random among those of its length, so slot numbers do not give the order in which
values were written. Only services use this module, inside their own transactions. A slot is zeroed and freed by
the triggers of migration 0015 when the row that names it is deleted, whoever deletes it: no code path can
delete the reference and leave the value.
"""

from __future__ import annotations

import secrets

from app.storage.connection import Connection

SLOTS_AT_ONCE = 64  # appended together when no slot of a length is free


def put(connection: Connection, content: bytes) -> int:
    """Inside a write transaction: write ``content`` into a free slot of its length and return the slot."""
    slot = _free_slot(connection, len(content))
    connection.execute("UPDATE sealed_slots SET used = 1, content = ? WHERE slot = ?", (content, slot))
    return slot


def _free_slot(connection: Connection, length: int) -> int:
    if length <= 0:
        raise ValueError("a slot holds at least one byte")
    highest = connection.execute("SELECT max(slot) FROM sealed_slots").fetchone()[0] or 0
    start = secrets.randbelow(highest + 1)
    row = (
        connection.execute(
            "SELECT slot FROM sealed_slots WHERE used = 0 AND length = ? AND slot >= ? ORDER BY slot LIMIT 1",
            (length, start),
        ).fetchone()
        or connection.execute(
            "SELECT slot FROM sealed_slots WHERE used = 0 AND length = ? ORDER BY slot LIMIT 1", (length,)
        ).fetchone()
    )
    if row is not None:
        return int(row[0])
    appended = range(highest + 1, highest + 1 + SLOTS_AT_ONCE)
    connection.executemany(
        "INSERT INTO sealed_slots (slot, length, used, content) VALUES (?, ?, 0, zeroblob(?))",
        [(slot, length, length) for slot in appended],
    )
    return appended[secrets.randbelow(SLOTS_AT_ONCE)]
