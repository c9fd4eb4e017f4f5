"""An instance folder: its secret, its SQLCipher database and its event, opened for a request or a command."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import crypto
from app.common.clock import SYSTEM_CLOCK, Clock
from app.common.errors import GatehouseError, NotFound
from app.common.secret_files import restrict_to_owner
from app.events.definition import Event, load_event
from app.storage import db
from app.storage.connection import Connection

SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class InstanceMissing(NotFound):
    """No instance has been set up in this folder yet."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no Gatehouse instance in {path}: set one up with 'gatehouse init' or 'gatehouse demo'")


class InstanceGone(GatehouseError):
    """The instance was wiped (or its files removed) while this process still had it open."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"the Gatehouse instance in {path} was wiped: this service is closed")


class InstanceExists(GatehouseError):
    """An instance is already set up in this folder; setting up again would destroy it."""


@dataclasses.dataclass(frozen=True)
class Instance:
    """What a running server holds of an instance: keys that open the database, and public keys only."""

    path: Path
    secrets: crypto.InstanceSecrets
    event: Event
    clock: Clock = SYSTEM_CLOCK

    @property
    def database_path(self) -> Path:
        return self.path / db.DATABASE_FILE

    def connect(self, any_thread: bool = False) -> Connection:
        """A connection to the instance's database; InstanceGone once a wipe has destroyed it or its key."""
        try:
            return db.connect(self.database_path, self.secrets.database_key, any_thread, self.clock)
        except (db.DatabaseMissing, db.DatabaseKeyError):
            raise InstanceGone(self.path) from None

    def still_there(self) -> bool:
        """False once a wipe (from any process) has removed the database: a running server then closes."""
        return self.database_path.exists()

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for one command or one background task, closed when it is done."""
        connection = self.connect()
        try:
            yield connection
        finally:
            connection.close()


def exists(path: Path) -> bool:
    return (path / SECRET_FILE).exists()


def open_instance(path: Path, clock: Clock = SYSTEM_CLOCK) -> Instance:
    """Open an instance that has been set up, applying any pending migration; InstanceMissing if there is none."""
    path = path.resolve()
    if not exists(path):
        raise InstanceMissing(path)
    # Instances set up by older versions left their database readable by other users.
    restrict_to_owner([path / SECRET_FILE, *(path / name for name in db.DATABASE_FILES)])
    secrets = crypto.derive_instance_secrets((path / SECRET_FILE).read_bytes())
    with contextlib.closing(db.connect(path / db.DATABASE_FILE, secrets.database_key, clock=clock)) as connection:
        db.migrate(connection)
        _event_id, definition = connection.execute("SELECT id, definition FROM events").fetchone()
        secrets = with_restored_secrets(connection, secrets)
    return Instance(path, secrets, load_event(definition), clock)


# What each kept key replaces in the secrets derived from secret.key (table restored_secrets).
RESTORED_SECRETS = {
    "codename lookup": "codename_lookup_key",
    "receipt": "receipt_key",
    "invitation": "invitation_key",
}


def with_restored_secrets(connection: Connection, derived: crypto.InstanceSecrets) -> crypto.InstanceSecrets:
    """On an instance restored from a backup, the keys its codenames and invitation codes were made with."""
    kept = {
        RESTORED_SECRETS[purpose]: secret for purpose, secret in connection.execute("SELECT * FROM restored_secrets")
    }
    return dataclasses.replace(derived, **kept) if kept else derived


@contextlib.contextmanager
def opened(path: Path, clock: Clock = SYSTEM_CLOCK) -> Iterator[tuple[Instance, Connection]]:
    """The one way to work on an instance outside a request: open it and a connection, and close both."""
    instance = open_instance(path, clock)
    with instance.connection() as connection:
        yield instance, connection
