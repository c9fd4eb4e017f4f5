"""Passes on the central instance: the pass key, each approved registration's pass, re-issuing, what is revoked.

The pass secret (crypto.passes) is kept as the letter secret is, in instance_keys (purpose 'passes'), inside the
SQLCipher database of the central instance, drawn on first use. It never goes into a bundle: desks receive the
public key only, so a lost desk cannot mint a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.audit import log as audit
from app.common.errors import GatehouseError, NotFound
from app.events.definition import Event
from app.storage import db
from app.storage.connection import Connection
from crypto import passes as pass_crypto


class NoPassToReissue(GatehouseError):
    def __init__(self) -> None:
        super().__init__("only an approved registration has a pass to re-issue")


class UnknownPseudonym(NotFound):
    def __init__(self) -> None:
        super().__init__("there is no registration with that pseudonym")


@dataclass(frozen=True)
class PassCodes:
    """A pass as the participant is shown it: the short code to read out or type, the long code its QR code holds."""

    short: str
    long: str


@dataclass(frozen=True)
class PassState:
    """What central knows of a pass id: whether it stands, and whose it is (None once withdrawn)."""

    revoked: bool
    pseudonym: str | None


def _secret(connection: Connection) -> bytes:
    """The pass secret, drawn and stored on first use; call inside a transaction."""
    row = connection.execute("SELECT private_key FROM instance_keys WHERE purpose = 'passes'").fetchone()
    if row is not None:
        return row[0]
    secret = pass_crypto.new_pass_secret()
    public = bytes(pass_crypto.pass_signing_key(secret).verify_key)
    connection.execute(
        "INSERT INTO instance_keys (purpose, public_key, private_key) VALUES ('passes', ?, ?)", (public, secret)
    )
    return secret


def public_key(connection: Connection) -> bytes:
    """The pass key's public half, the only part of it a desk is given."""
    with db.transaction(connection):
        return public_key_within(connection)


def public_key_within(connection: Connection) -> bytes:
    """The same, inside the caller's transaction (the key is drawn on first use)."""
    _secret(connection)
    return connection.execute("SELECT public_key FROM instance_keys WHERE purpose = 'passes'").fetchone()[0]


def pass_codes(connection: Connection, event: Event, registration_id: str) -> PassCodes | None:
    """The codes of this registration's pass if it is approved, issued on first asking; None otherwise.

    The same on every visit: the pass is stored, and a new one is made only by re-issuing.
    """
    with db.transaction(connection):
        row = connection.execute(
            "SELECT status FROM registrations WHERE id = ? AND event_id = ?", (registration_id, event.id)
        ).fetchone()
        if row is None or row[0] != "approved":
            return None
        current = connection.execute(
            "SELECT pass FROM passes WHERE registration_id = ? AND revoked_day IS NULL", (registration_id,)
        ).fetchone()
        raw = current[0] if current else _issue(connection, event, registration_id)
    return PassCodes(pass_crypto.short_code_of(pass_crypto.pass_id_of(raw)), pass_crypto.code_of(raw))


def _issue(connection: Connection, event: Event, registration_id: str) -> bytes:
    signing_key = pass_crypto.pass_signing_key(_secret(connection))
    pass_id = pass_crypto.new_pass_id()
    raw = pass_crypto.make_pass(
        signing_key, event_id=event.id, pass_id=pass_id, first_day=event.starts, last_day=event.ends
    )
    connection.execute(
        "INSERT INTO passes (pass_id, pass_tag, event_id, registration_id, pass, issued_day) VALUES (?, ?, ?, ?, ?, ?)",
        (pass_id, pass_crypto.pass_tag(pass_id), event.id, registration_id, raw, connection.clock.today()),
    )
    return raw


def reissue(connection: Connection, event: Event, pseudonym: str, actor: str) -> None:
    """Revoke the registration's pass (a phone lost, a code passed on); the next visit to /status shows a new one."""
    with db.transaction(connection):
        row = connection.execute(
            "SELECT id, status FROM registrations WHERE event_id = ? AND pseudonym = ?", (event.id, pseudonym.strip())
        ).fetchone()
        if row is None:
            raise UnknownPseudonym()
        if row[1] != "approved":
            raise NoPassToReissue()
        day = connection.clock.today()
        connection.execute(
            "UPDATE passes SET revoked_day = ? WHERE registration_id = ? AND revoked_day IS NULL", (day, row[0])
        )
        audit.record(connection, actor, "pass reissued", pseudonym.strip())


def states(connection: Connection, event: Event) -> dict[bytes, PassState]:
    """Every pass issued for the event, by tag: revoked when re-issued, withdrawn, or no longer approved."""
    rows = connection.execute(
        "SELECT p.pass_tag, p.revoked_day, r.status, r.pseudonym FROM passes AS p"
        " LEFT JOIN registrations AS r ON r.id = p.registration_id WHERE p.event_id = ?",
        (event.id,),
    )
    return {
        pass_tag: PassState(revoked_day is not None or status != "approved", pseudonym)
        for pass_tag, revoked_day, status, pseudonym in rows
    }


def state_of(connection: Connection, event: Event, pass_tag: bytes) -> PassState | None:
    row = connection.execute(
        "SELECT p.revoked_day, r.status, r.pseudonym FROM passes AS p"
        " LEFT JOIN registrations AS r ON r.id = p.registration_id WHERE p.event_id = ? AND p.pass_tag = ?",
        (event.id, pass_tag),
    ).fetchone()
    if row is None:
        return None
    return PassState(row[0] is not None or row[1] != "approved", row[2])
