"""Every key of an instance, obtained by the test outside the server, as the organisers could:
compartment keys from the recovery words, staff keys from their passphrases, the database key from secret.key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import crypto
from app.instance.folder import open_instance
from app.keys import keyring


@dataclass(frozen=True)
class KnownKeys:
    database_key: bytes
    recovery_key: bytes
    compartment_keys: dict[tuple[str, int], bytes]  # (compartment, generation) -> private key
    staff_keys: dict[str, bytes]  # username -> private key, for those whose key is on the server
    staff_passphrases: dict[str, str]

    def compartment_keys_of(self, compartments: set[str]) -> dict[tuple[str, int], bytes]:
        return {held: key for held, key in self.compartment_keys.items() if held[0] in compartments}


def known_keys(instance_path: Path, recovery_words: list[str], team=None) -> KnownKeys:
    """Read now, so that a compartment rotated since is included."""
    instance = open_instance(instance_path)
    recovery = crypto.private_key_from_recovery_words(" ".join(recovery_words))
    connection = instance.connect()
    try:
        compartment_keys = keyring.keys_from_recovery(connection, instance.event.id, recovery)
        staff_keys = {}
        for person in team.people.values() if team else ():
            (locked,) = connection.execute(
                "SELECT locked_private_key FROM staff WHERE username = ?", (person.username,)
            ).fetchone()
            if locked:
                staff_keys[person.username] = bytes(crypto.unlock_private_key(locked, person.passphrase))
    finally:
        connection.close()
    return KnownKeys(
        instance.secrets.database_key,
        bytes(recovery),
        {held: bytes(key) for held, key in compartment_keys.items()},
        staff_keys,
        {person.username: person.passphrase for person in (team.people.values() if team else ())},
    )
