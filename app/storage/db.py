"""The SQLCipher database: opened with the instance's raw key; transactions, migrations and scrubbing.

Only services and the instance package use this module; front-ends get a connection from the instance
(app.instance.folder) and hand it to services. An import-linter contract keeps it so.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import sqlcipher3

from app.common.clock import SYSTEM_CLOCK, Clock
from app.common.errors import GatehouseError
from app.storage.connection import Connection

DATABASE_FILE = "gatehouse.db"
DATABASE_FILES = (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm")
IntegrityError = sqlcipher3.IntegrityError


class ClockedConnection(sqlcipher3.Connection):  # type: ignore[misc]  # sqlcipher3 ships no types
    """A SQLCipher connection that carries the clock by which services record days."""

    clock: Clock = SYSTEM_CLOCK


class DatabaseKeyError(RuntimeError):
    """The key does not open this database file."""


class DatabaseMissing(GatehouseError):
    """The database file is not there (never made, or destroyed by a wipe): nothing is created in its place."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"there is no Gatehouse database at {path}")


def create(path: Path, key: bytes, clock: Clock = SYSTEM_CLOCK) -> Connection:
    """Make a new, empty database file, owner-only from its first byte, and open it.

    SQLite gives the WAL and shared-memory files the mode of the database file, so they are owner-only too,
    whatever the umask: a database readable by other local users would give them every page to attack.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)
    return connect(path, key, clock=clock)


def connect(path: Path, key: bytes, any_thread: bool = False, clock: Clock = SYSTEM_CLOCK) -> Connection:
    """Open an existing database with a raw 32-byte key: no per-connection passphrase derivation.

    Never creates the file: after a wipe, a server still running must find nothing, not a new empty database.
    """
    try:
        connection = sqlcipher3.connect(
            f"file:{quote(str(path))}?mode=rw",
            uri=True,
            timeout=10.0,
            isolation_level=None,
            check_same_thread=not any_thread,
            factory=ClockedConnection,
        )
    except sqlcipher3.OperationalError:
        if not Path(path).exists():
            raise DatabaseMissing(Path(path)) from None
        raise
    connection.clock = clock
    # A wrong key is reported by the exception below; SQLCipher's own lines on stderr would only alarm.
    connection.execute("PRAGMA cipher_log_level = NONE")
    connection.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError:
        connection.close()
        raise DatabaseKeyError("the instance key does not open its database") from None
    return configure(connection)


def configure(connection: Connection) -> Connection:
    """The settings every connection runs with (tests also apply them to an unencrypted database)."""
    connection.execute("PRAGMA foreign_keys = ON")
    # Deleted values are overwritten in the file, not left in free pages.
    connection.execute("PRAGMA secure_delete = ON")
    # An acknowledged registration must survive a crash or power cut.
    connection.execute("PRAGMA synchronous = FULL")
    # Sorts, indexes under construction and VACUUM's scratch copy stay in memory, never in a temporary file.
    connection.execute("PRAGMA temp_store = MEMORY")
    return connection


def scrub(connection: Connection) -> None:
    """After deleting rows of a table whose values are not in slots (a revoked grant, a forgotten letter register,
    a wipe) or after moving values into slots (migrate): leave no stale copy of them in the file or the WAL.

    secure_delete zeroes deleted cells, but a B-tree rebalance can leave older copies of moved
    cells in the unused part of another page, and the WAL keeps earlier versions of every page
    it wrote. VACUUM rewrites every page from the live rows only (its scratch copy held in
    memory, never in a temporary file); the TRUNCATE checkpoint then copies the result over the
    main file and empties the WAL. It costs a rewrite of the whole file, which is why sealed values live in
    slots (app.storage.slots) and their destruction needs only checkpoint().
    """
    # Cleared first: whatever is deleted while the rewrite runs is either rewritten away or marks it again, and
    # so does a final checkpoint that could not empty the WAL. The first one only makes the WAL small to rewrite.
    connection.execute("DELETE FROM scrub_pending")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("VACUUM")
    checkpoint(connection)


# How long a checkpoint after a destruction keeps trying to empty the WAL while readers hold older snapshots.
CHECKPOINT_PATIENCE_SECONDS = 10.0


def checkpoint(connection: Connection) -> bool:
    """After destroying values in their slots (app.storage.slots): copy the WAL into the file and empty it, so
    that no earlier version of a page, which still held them, stays in the WAL. Returns whether it did.

    While other connections read, SQLite can answer busy at once, having emptied nothing: a server under load
    does so often. So it tries again, a hundredth of a second apart, for CHECKPOINT_PATIENCE_SECONDS; if the WAL
    still could not be emptied, the file is marked for the nightly purge's scrub, which empties it.
    """
    deadline = connection.clock.monotonic() + CHECKPOINT_PATIENCE_SECONDS
    while True:
        busy, _frames, _copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return True
        if connection.clock.monotonic() >= deadline:
            with transaction(connection):
                connection.execute("INSERT OR IGNORE INTO scrub_pending (id) VALUES (1)")
            return False
        time.sleep(0.01)


@contextlib.contextmanager
def destroying(connection: Connection) -> Iterator[Connection]:
    """A write transaction that destroys: deleting a row that names a slot zeroes the value where it stands
    (app.storage.slots, migration 0015); checkpoint() after it empties the WAL of the pages' earlier versions.

    Values are not kept in the rows themselves because SQLite rebuilds a page without clearing its unused middle:
    a row overwritten and deleted would leave older copies there from earlier rebalances, which only a VACUUM
    reaches (`python -m benchmarks.stale_copies`, tests/security/test_destroyed_at_scale.py).
    """
    with transaction(connection):
        yield connection


def scrub_pending(connection: Connection) -> bool:
    """Whether any row was deleted or changed in place since the last scrub: every table's triggers mark it
    (migration 0011), so a purge that destroyed nothing, after nothing else did, leaves the file as it is."""
    return connection.execute("SELECT 1 FROM scrub_pending").fetchone() is not None


@contextlib.contextmanager
def transaction(connection: Connection) -> Iterator[Connection]:
    """One write transaction, taken at once so concurrent writers queue instead of deadlocking."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


# Migrations that rewrite where sealed values live: the file is scrubbed as soon as one has run, since the copies
# they leave are of values still live, which a later destruction in place would not reach.
SCRUBBED_AFTER = frozenset({15})


def migrate(connection: Connection, up_to: int | None = None) -> int:
    """Apply the numbered migrations newer than the file's user_version (up to ``up_to``); return the version."""
    connection.execute("PRAGMA journal_mode = WAL")
    version = started = connection.execute("PRAGMA user_version").fetchone()[0]
    rewrote = False
    for number, sql in _migrations():
        if number > version and (up_to is None or number <= up_to):
            connection.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
            version = number
            rewrote = rewrote or (started > 0 and number in SCRUBBED_AFTER)
    if rewrote:
        scrub(connection)
    return version


def latest_version() -> int:
    """The schema version this code migrates a database to."""
    return _migrations()[-1][0]


def _migrations() -> list[tuple[int, str]]:
    found = []
    for entry in resources.files("app.storage").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_\w+\.sql", entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text("utf-8")))
    return sorted(found)
