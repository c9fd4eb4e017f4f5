"""What two storage layouts leave of destroyed values in a SQLCipher file when no VACUUM follows: why sealed values
live in fixed slots (app.storage.slots, migration 0015), so that withdrawals and purges need no VACUUM.

Both layouts run the same work on a real SQLCipher file (secure_delete on, WAL, an idle connection holding the
WAL open as a server's does): registrations of ten sealed values each (sizes drawn like Gatehouse's padded
ciphertexts, with one sealed data key), a tenth of them destroyed in batches of 200, then a twentieth more
registered, then a TRUNCATE checkpoint. No VACUUM runs. Every page of the file and its WAL is then decrypted
with the key, free pages too, and searched for any 16-byte stretch of a destroyed value.

- "rows": the layout before migration 0015. Values live in the cells of a WITHOUT ROWID table keyed by a random
  registration id; each is overwritten in place with zeros before its row is deleted. Inserts in the middle of
  the B-tree rebalance pages, and SQLite rebuilds a page without clearing its unused middle: older copies of
  cells stay there, out of reach of the overwrite.
- "slots": Gatehouse's layout. Each value lives in a slot of a rowid table whose rows are only ever appended,
  holding zeros, and then overwritten in place with a value of the slot's own length, or with zeros when it is
  destroyed (app.storage.slots). A record's values take the first free slots after a place drawn at random, so
  slot numbers do not give the order of registration. Appending at the end of a rowid table starts a new leaf
  rather than moving cells, and an overwrite of the same length changes bytes where they stand: no cell holding
  a value ever moves, so no stale copy is made.

Run:  python -m benchmarks.stale_copies [--registrations N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import secrets
import tempfile
from pathlib import Path

from app.storage import db, slots
from tests.security.sqlcipher_pages import every_page_decrypted, values_still_in

VALUES_PER_REGISTRATION = 10
# Lengths of padded field ciphertexts (32 to 4,096 bytes of value, app/crypto records) and how often each is drawn.
LENGTHS = (73, 105, 169, 297, 553, 1065, 4137)
WEIGHTS = (50, 20, 10, 6, 3, 2, 1)
SEALED_DATA_KEY = 80


class Layout:
    SCHEMA = ""

    def __init__(self, connection: db.Connection, rng: random.Random) -> None:
        self.connection, self.rng = connection, rng

    def store(self, registration: bytes, values: list[bytes]) -> None:
        raise NotImplementedError

    def destroy(self, registration: bytes) -> None:
        raise NotImplementedError


class Rows(Layout):
    SCHEMA = (
        "CREATE TABLE sealed (registration BLOB, number INTEGER, value BLOB, PRIMARY KEY (registration, number))"
        " WITHOUT ROWID"
    )

    def store(self, registration: bytes, values: list[bytes]) -> None:
        self.connection.executemany(
            "INSERT INTO sealed VALUES (?, ?, ?)", [(registration, n, value) for n, value in enumerate(values)]
        )

    def destroy(self, registration: bytes) -> None:
        self.connection.execute(
            "UPDATE sealed SET value = zeroblob(length(value)) WHERE registration = ?", (registration,)
        )
        self.connection.execute("DELETE FROM sealed WHERE registration = ?", (registration,))


class Slots(Layout):
    """Gatehouse's own: the table of migration 0015, filled by app.storage.slots."""

    SCHEMA = (
        "CREATE TABLE sealed_slots (slot INTEGER PRIMARY KEY, length INTEGER NOT NULL, used INTEGER NOT NULL,"
        " content BLOB NOT NULL);"
        "CREATE INDEX sealed_slots_free ON sealed_slots (length, slot) WHERE used = 0;"
        "CREATE TABLE sealed (registration BLOB, number INTEGER, slot INTEGER, PRIMARY KEY (registration, number))"
        " WITHOUT ROWID"
    )

    def store(self, registration: bytes, values: list[bytes]) -> None:
        taken = slots.put_together(self.connection, values)
        self.connection.executemany(
            "INSERT INTO sealed VALUES (?, ?, ?)", [(registration, number, slot) for number, slot in enumerate(taken)]
        )

    def destroy(self, registration: bytes) -> None:
        # What migration 0015's triggers do as a row that names a slot is deleted.
        self.connection.execute(
            "UPDATE sealed_slots SET used = 0, content = zeroblob(length)"
            " WHERE slot IN (SELECT slot FROM sealed WHERE registration = ?)",
            (registration,),
        )
        self.connection.execute("DELETE FROM sealed WHERE registration = ?", (registration,))


def run(layout_class: type[Layout], registrations: int, seed: int, folder: Path) -> dict[str, int]:
    rng = random.Random(seed)
    key = secrets.token_bytes(32)
    path = folder / f"{layout_class.__name__.lower()}.db"
    connection = db.create(path, key)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.executescript(layout_class.SCHEMA)
    holder = db.connect(path, key)  # an idle connection that has read once keeps the WAL open, as a server's does
    holder.execute("SELECT count(*) FROM sealed").fetchone()
    layout = layout_class(connection, rng)

    def values() -> list[bytes]:
        drawn = rng.choices(LENGTHS, WEIGHTS, k=VALUES_PER_REGISTRATION - 1)
        return [secrets.token_bytes(SEALED_DATA_KEY), *(secrets.token_bytes(length) for length in drawn)]

    stored: dict[bytes, list[bytes]] = {}
    for _ in range(registrations):
        registration = secrets.token_bytes(16)
        stored[registration] = values()
        with db.transaction(connection):
            layout.store(registration, stored[registration])
    doomed = rng.sample(list(stored), registrations // 10)
    for start in range(0, len(doomed), 200):
        with db.destroying(connection):
            for registration in doomed[start : start + 200]:
                layout.destroy(registration)
    for _ in range(registrations // 20):
        with db.transaction(connection):
            layout.store(secrets.token_bytes(16), values())
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    holder.close()

    pages = every_page_decrypted(path, key)
    destroyed = [value for registration in doomed for value in stored.pop(registration)]
    kept = [value for values in stored.values() for value in values][::97]
    return {
        "destroyed": len(destroyed),
        "left": len(values_still_in(destroyed, pages)),
        "kept": len(kept),
        "kept found": len(values_still_in(kept, pages)),
        "megabytes": len(pages) // 1_000_000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    print(f"{'layout':<8} {'destroyed values':>17} {'with bytes left':>16} {'kept values found':>18} {'MB':>5}")
    with tempfile.TemporaryDirectory() as folder:
        for layout_class in (Rows, Slots):
            found = run(layout_class, arguments.registrations, arguments.seed, Path(folder))
            print(
                f"{layout_class.__name__.lower():<8} {found['destroyed']:>17,} {found['left']:>16,}"
                f" {found['kept found']:>12,} of {found['kept']:>3,} {found['megabytes']:>5}"
            )


if __name__ == "__main__":
    main()
