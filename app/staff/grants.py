"""Grants and revocations: who holds which compartment, changed by one service that both front-ends call.

A grant seals a compartment key the granter holds to the grantee, so nobody grants what they cannot
open (an admin without grants holds nothing to seal). A revocation deletes the grantee's sealed
copies and, with rotation, starts a new key for what is written from then on. Open sessions follow
either change at their next request (app.staff.sessions).
"""

from __future__ import annotations

from dataclasses import dataclass

import crypto
from app.audit import log as audit
from app.common.actor import Actor
from app.common.errors import NotAllowed, NotFound
from app.events.definition import Event
from app.keys import keyring
from app.keys.keyring import HeldKeys
from app.staff.accounts import StaffMember, find_staff, login_secrets, normalise_username, require_staff
from app.staff.login import passphrase_matches
from app.storage import db
from app.storage.connection import Connection


class UnknownCompartment(NotFound):
    def __init__(self, event: Event, name: str) -> None:
        self.name = name
        known = ", ".join(compartment.name for compartment in event.compartments)
        super().__init__(f"there is no compartment named {name}; there are: {known}")


class NotHeld(NotAllowed):
    """The would-be granter holds no key of that compartment."""

    def __init__(self, holder: str, compartment: str) -> None:
        super().__init__(f"{holder} does not hold {compartment}, so cannot grant it")


class MayNotRevoke(NotAllowed):
    def __init__(self, compartment: str) -> None:
        super().__init__(f"only an administrator or a holder of {compartment} can revoke it")


class WrongHolderSecret(NotAllowed):
    """The passphrase or recovery words given to open the granter's keys do not open them."""


def require_compartment(event: Event, name: str) -> str:
    name = name.strip()
    if name not in {compartment.name for compartment in event.compartments}:
        raise UnknownCompartment(event, name)
    return name


def keys_of_holder(connection: Connection, event_id: str, username: str, passphrase: str) -> tuple[HeldKeys, str]:
    """The compartment keys a staff member holds, opened with their passphrase; and their username."""
    member = find_staff(connection, username)
    if member is None or member.disabled or member.locked_private_key is None:
        raise NotFound(f"{normalise_username(username)} is not an active account with its key on this server")
    if not passphrase_matches(login_secrets(connection, member.id)[0], passphrase):
        raise WrongHolderSecret("that passphrase is not right")
    staff_key = crypto.unlock_private_key(member.locked_private_key, passphrase)
    return keyring.keys_held_by(connection, member.id, event_id, staff_key), member.username


def keys_from_recovery_words(connection: Connection, event_id: str, words: str) -> HeldKeys:
    try:
        recovery_key = crypto.private_key_from_recovery_words(words)
        return keyring.keys_from_recovery(connection, event_id, recovery_key)
    except (crypto.InvalidRecoveryWords, crypto.RecordTampered):
        raise WrongHolderSecret("those are not this event's recovery words") from None


def grant(
    connection: Connection, event: Event, *, compartment: str, to: str, holder_keys: HeldKeys, actor: str
) -> StaffMember:
    """Seal every generation of ``compartment`` the granter holds to an active account, and log it."""
    compartment = require_compartment(event, compartment)
    with db.transaction(connection):
        member = require_staff(connection, to, active=True)
        if not keyring.grant(
            connection, event.id, compartment, member.id, member.public_key, holder_keys, granted_by=actor
        ):
            raise NotHeld(actor, compartment)
        audit.record(connection, actor, "grant", member.username, {"compartment": compartment})
    return member


@dataclass(frozen=True)
class Revocation:
    member: StaffMember
    keys_removed: int
    rotated_to_generation: int | None


def revoke(
    connection: Connection, event: Event, *, compartment: str, username: str, actor: Actor, rotate: bool = False
) -> Revocation:
    """Remove an account's keys of a compartment (and, with ``rotate``, start a new key), and log it."""
    compartment = require_compartment(event, compartment)
    if actor.role != "admin" and compartment not in actor.compartments:
        raise MayNotRevoke(compartment)
    with db.transaction(connection):
        member = require_staff(connection, username)
        removed = keyring.revoke(connection, member.id, event.id, compartment)
        rotated = keyring.rotate(connection, event.id, compartment, actor.name) if rotate else None
        audit.record(
            connection,
            actor.name,
            "revoke",
            member.username,
            {"compartment": compartment, "rotated_to_generation": rotated},
        )
    return Revocation(member, removed, rotated)


def holders(connection: Connection, event_id: str) -> list[tuple[str, str, int]]:
    """(username, compartment, newest generation held) for every grant, by username and compartment."""
    return connection.execute(
        "SELECT staff.username, grants.compartment, max(grants.generation) FROM grants"
        " JOIN staff ON staff.id = grants.staff_id WHERE grants.event_id = ?"
        " GROUP BY staff.username, grants.compartment ORDER BY staff.username, grants.compartment",
        (event_id,),
    ).fetchall()
