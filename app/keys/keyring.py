"""Compartment keys: which public keys seal new records, who holds which private keys, grants and rotation.

A private compartment key is only ever stored sealed: to the event's recovery key and
to each staff member granted it. Granting means opening one's own sealed copy and
sealing it again to the grantee, so nobody can grant a compartment they do not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import crypto
from app.storage.connection import Connection

# (compartment, generation) -> private key, opened for one holder for as long as they need it.
HeldKeys = dict[tuple[str, int], crypto.PrivateKey]


@dataclass(frozen=True)
class CurrentKey:
    generation: int
    public_key: bytes


def current_public_keys(connection: Connection, event_id: str) -> dict[str, CurrentKey]:
    """The newest generation of each compartment's key: the one that seals what is written now."""
    keys: dict[str, CurrentKey] = {}
    for compartment, generation, public_key in connection.execute(
        "SELECT compartment, generation, public_key FROM compartment_keys WHERE event_id = ? ORDER BY generation",
        (event_id,),
    ):
        keys[compartment] = CurrentKey(generation, public_key)
    return keys


def keys_from_recovery(connection: Connection, event_id: str, recovery_key: crypto.PrivateKey) -> HeldKeys:
    rows = connection.execute(
        "SELECT compartment, generation, private_key_sealed_to_recovery FROM compartment_keys WHERE event_id = ?",
        (event_id,),
    )
    return {(c, g): crypto.PrivateKey(crypto.open_sealed(recovery_key, sealed)) for c, g, sealed in rows}


def keys_held_by(connection: Connection, staff_id: str, event_id: str, staff_key: crypto.PrivateKey) -> HeldKeys:
    rows = connection.execute(
        "SELECT compartment, generation, sealed_private_key FROM grants WHERE staff_id = ? AND event_id = ?",
        (staff_id, event_id),
    )
    return {(c, g): crypto.PrivateKey(crypto.open_sealed(staff_key, sealed)) for c, g, sealed in rows}


def matching(connection: Connection, event_id: str, keys: HeldKeys) -> HeldKeys:
    """The held keys whose public half is the one this instance has for that compartment and generation.

    A record that one of these does not open is at fault itself, not the key that tried it.
    """
    public = {
        (compartment, generation): public_key
        for compartment, generation, public_key in connection.execute(
            "SELECT compartment, generation, public_key FROM compartment_keys WHERE event_id = ?", (event_id,)
        )
    }
    return {held: key for held, key in keys.items() if public.get(held) == bytes(key.public_key)}


def grant(
    connection: Connection,
    event_id: str,
    compartment: str,
    grantee_id: str,
    grantee_public_key: bytes,
    holder_keys: Mapping[tuple[str, int], crypto.PrivateKey],
    granted_by: str,
) -> int:
    """Seal every generation of ``compartment`` the holder holds to the grantee; return how many (0: none held).

    Runs inside the caller's transaction.
    """
    generations = {g: key for (c, g), key in holder_keys.items() if c == compartment}
    for generation, private_key in generations.items():
        connection.execute(
            "INSERT OR REPLACE INTO grants (staff_id, event_id, compartment, generation, sealed_private_key,"
            " granted_by, granted_day) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                grantee_id,
                event_id,
                compartment,
                generation,
                crypto.seal_to(grantee_public_key, bytes(private_key)),
                granted_by,
                connection.clock.today(),
            ),
        )
    return len(generations)


def revoke(connection: Connection, staff_id: str, event_id: str, compartment: str) -> int:
    cursor = connection.execute(
        "DELETE FROM grants WHERE staff_id = ? AND event_id = ? AND compartment = ?", (staff_id, event_id, compartment)
    )
    return cursor.rowcount


def rotate(connection: Connection, event_id: str, compartment: str, granted_by: str) -> int:
    """Start a new generation of the compartment key, sealed to recovery and to everyone still granted.

    Records already written stay under their old generation, which remaining holders keep;
    only what is written from now on uses the new key, which a revoked person never had.
    """
    recovery_public_key = connection.execute(
        "SELECT recovery_public_key FROM events WHERE id = ?", (event_id,)
    ).fetchone()[0]
    generation = (
        1
        + connection.execute(
            "SELECT max(generation) FROM compartment_keys WHERE event_id = ? AND compartment = ?",
            (event_id, compartment),
        ).fetchone()[0]
    )
    new_key = crypto.new_key_pair()
    connection.execute(
        "INSERT INTO compartment_keys (event_id, compartment, generation, public_key, private_key_sealed_to_recovery)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            event_id,
            compartment,
            generation,
            bytes(new_key.public_key),
            crypto.seal_to(recovery_public_key, bytes(new_key)),
        ),
    )
    holders = connection.execute(
        "SELECT DISTINCT staff.id, staff.public_key FROM grants JOIN staff ON staff.id = grants.staff_id"
        " WHERE grants.event_id = ? AND grants.compartment = ? AND staff.disabled = 0",
        (event_id, compartment),
    ).fetchall()
    for staff_id, public_key in holders:
        grant(connection, event_id, compartment, staff_id, public_key, {(compartment, generation): new_key}, granted_by)
    return generation
