"""Sealed values in fixed slots: written once where they stand, zeroed where they stand, never moved.

A slot is a row of the rowid table ``sealed_slots`` (migration 0015) with a length, a used flag and content of
exactly that length. Slots are only ever appended, holding zeros, a batch at a time; a value is written into a
free slot of its length by an UPDATE of the same size, which SQLite makes in place; destroying it writes zeros
the same way. Appending to the end of a rowid table starts a new leaf page rather than moving cells, and no
slot is ever deleted, so no cell that holds a value moves: no B-tree rebalance leaves an older copy of it in an
unused part of a page, and destroying a value needs no VACUUM, only a checkpoint that empties the WAL
(db.checkpoint). `python -m benchmarks.stale_copies` and tests/security/test_destroyed_at_scale.py show it.

A record's values of one length take the first free slots after a place drawn at random (put_together): they sit
near one another, and slot numbers do not give the order in which records were written. Only services use this
module, inside their own transactions. A slot is zeroed and freed by the triggers of migration 0015 when the row
that names it is deleted, whoever deletes it: no code path can delete the reference and leave the value.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from app.storage.connection import Connection

SLOTS_AT_ONCE = 64  # appended together when too few slots of a length are free


def put_together(connection: Connection, contents: Sequence[bytes]) -> list[int]:
    """Inside a write transaction: write the values of one record into free slots, and return them in order.

    Values of one length go to the first free slots after one place drawn at random: each record's values sit
    near one another (few pages to write, and to read back), while where a record lies tells nothing of when it
    came. A length with too few free slots gets a new batch, appended after every slot.
    """
    by_length: dict[int, list[int]] = {}
    for index, content in enumerate(contents):
        by_length.setdefault(len(content), []).append(index)
    taken = [0] * len(contents)
    for length, indexes in by_length.items():
        for index, slot in zip(indexes, _free_slots(connection, length, len(indexes)), strict=True):
            taken[index] = slot
    connection.executemany(
        "UPDATE sealed_slots SET used = 1, content = ? WHERE slot = ?", list(zip(contents, taken, strict=True))
    )
    return taken


def _free_slots(connection: Connection, length: int, count: int) -> list[int]:
    if length <= 0:
        raise ValueError("a slot holds at least one byte")
    highest = connection.execute("SELECT max(slot) FROM sealed_slots").fetchone()[0] or 0
    free = "SELECT slot FROM sealed_slots WHERE used = 0 AND length = ? AND slot >= ? ORDER BY slot {} LIMIT ?"
    start = secrets.randbelow(highest + 1)
    found = [slot for (slot,) in connection.execute(free.format("ASC"), (length, start, count))]
    if len(found) < count:  # the place drawn is near the end: the last free slots, still together
        found = sorted(slot for (slot,) in connection.execute(free.format("DESC"), (length, 0, count)))
    if len(found) < count:  # too few free of this length: all of them in a new batch, together
        batch = max(SLOTS_AT_ONCE, count)
        appended = range(highest + 1, highest + 1 + batch)
        connection.executemany(
            "INSERT INTO sealed_slots (slot, length, used, content) VALUES (?, ?, 0, zeroblob(?))",
            [(slot, length, length) for slot in appended],
        )
        at = secrets.randbelow(batch - count + 1)
        found = list(appended[at : at + count])
    return found
