"""Registering a participant: seal the values, store the record once, hand back a receipt."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import crypto
from app.common.clock import SYSTEM_CLOCK, Clock
from app.events.definition import Event, Field
from app.instance.folder import Instance
from app.keys.keyring import current_public_keys
from app.registrations import destroyed
from app.registrations.invitations import redeem
from app.registrations.lifecycle import is_full
from app.registrations.messages import key_for_new_registration
from app.registrations.records import store_sealed_parts
from app.storage import db

# How long a form sent again still shows its codename: a reply lost on a failing link or a Tor circuit that
# timed out is retried within seconds or a few minutes. After that, whoever holds the form's HTML (a page left
# in a browser, a device taken before it was closed) learns only that it was received.
RESHOW_SECONDS = 10 * 60


class RecentReceipts:
    """When each recent registration's codename was first shown, held in server memory only: no exact time of
    a participant is ever stored.

    A server that crashed just after storing a registration, before its reply left, has forgotten when it
    was shown: for the first RESHOW_SECONDS after a start, a form of a registration submitted that day or the
    day before is answered in full too, so that a participant whose reply was lost to the crash still gets
    their codename.
    """

    def __init__(self, window_seconds: float = RESHOW_SECONDS, clock: Clock = SYSTEM_CLOCK) -> None:
        self._window, self._clock = window_seconds, clock
        self._started = clock.monotonic()
        self._shown: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def shown(self, codename_lookup: bytes) -> None:
        now = self._clock.monotonic()
        with self._lock:
            self._shown = {lookup: when for lookup, when in self._shown.items() if now - when <= self._window}
            self._shown.setdefault(codename_lookup, now)

    def may_show_again(self, codename_lookup: bytes, submitted_lately: bool) -> bool:
        now = self._clock.monotonic()
        with self._lock:
            first = self._shown.get(codename_lookup)
        if first is not None:
            return now - first <= self._window
        # Not shown by this process: stored by one that stopped, moments ago if this one is young.
        return submitted_lately and now - self._started <= self._window


@dataclass(frozen=True)
class Receipt:
    """What the participant is shown: the name staff will use, and the codename to come back with.

    A form sent again after the window gets a receipt with neither (``withheld``): it was received, and its
    codename was shown when it was.
    """

    pseudonym: str
    codename: str
    repeated: bool  # True when this form had already been received
    status: str = "submitted"

    @property
    def withheld(self) -> bool:
        return not self.codename

    @classmethod
    def again(cls, pseudonym: str, codename: str, status: str, shown_recently: bool) -> Receipt:
        return cls(pseudonym, codename, True, status) if shown_recently else cls("", "", True, status)


def register(
    connection: db.Connection,
    instance: Instance,
    submission_token: str,
    values: Mapping[str, str],
    invitation: str = "",
    recent: RecentReceipts | None = None,
) -> Receipt:
    """Store one registration of ``values`` (field key -> text), or find the one this form already made.

    Every field asked at registration is sealed, empty or not, so that which optional
    fields someone filled in is not visible to whoever holds the database. An event that
    requires an invitation takes one use of the code in the same transaction, or raises
    InvitationRefused and stores nothing. A form sent again shows its codename only while ``recent`` says it was
    first shown moments ago (never, without ``recent``), or when two copies of it arrive at the same moment.
    """
    event = instance.event
    codename = crypto.codename_for_submission(instance.secrets.receipt_key, submission_token)
    codename_lookup = crypto.codename_lookup(instance.secrets.codename_lookup_key, codename)
    existing = _pseudonym_and_status(connection, codename_lookup)
    if existing is not None:
        pseudonym, status, submitted_day = existing
        # Today or yesterday: a reply lost just before midnight is retried just after it.
        yesterday = (connection.clock.date() - datetime.timedelta(days=1)).isoformat()
        again = recent is not None and recent.may_show_again(
            codename_lookup, submitted_lately=submitted_day >= yesterday
        )
        return Receipt.again(pseudonym, codename, status, again)

    registration_id = crypto.registration_id_for(codename_lookup)
    # A registration withdrawn or destroyed stays so: the form that made it, kept and sent again, revives nothing.
    withdrawn_on_kit = connection.execute(
        "SELECT 1 FROM kit_withdrawals WHERE registration_id = ?", (registration_id,)
    ).fetchone()
    if withdrawn_on_kit or destroyed.was_destroyed(connection, registration_id):
        raise FormWithdrawn()
    # Outside the transaction: the derivation's cost (crypto.messages) must not hold the database's write lock.
    message_salt, message_public_key = key_for_new_registration(codename)
    try:
        with db.transaction(connection):
            if event.invitation_required:
                redeem(connection, instance.secrets.invitation_key, invitation)
            pseudonym = free_pseudonym(connection, event.id)
            # Once every place is taken, newcomers go straight to the waiting list, and are told so.
            status = "waitlisted" if is_full(connection, event.id, event.capacity) else "submitted"
            connection.execute(
                "INSERT INTO registrations (id, event_id, pseudonym, status, submitted_day, codename_lookup,"
                " message_public_key, message_salt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    registration_id,
                    event.id,
                    pseudonym,
                    status,
                    connection.clock.today(),
                    codename_lookup,
                    message_public_key,
                    message_salt,
                ),
            )
            seal_into_record(connection, event, registration_id, event.registration_fields(), values)
    except db.IntegrityError:
        # The same form arrived twice at once: the other request stored it, this very moment.
        existing = _pseudonym_and_status(connection, codename_lookup)
        if existing is None:
            raise
        if recent is not None:
            recent.shown(codename_lookup)
        return Receipt.again(existing[0], codename, existing[1], shown_recently=True)
    if recent is not None:
        recent.shown(codename_lookup)
    return Receipt(pseudonym, codename, repeated=False, status=status)


class FormWithdrawn(Exception):
    """This form's registration was withdrawn or destroyed (on a field kit: withdrawn after a bundle carried it).

    Registering it again would give it the same id, which the withdrawal still names.
    """


# How long a follow-up form stays good: long enough to find a passport on a slow link, short if the page leaks.
FOLLOW_UP_SECONDS = 2 * 3600


class FollowUpTokens:
    """One-time tokens that tie a follow-up form to the one record its codename opened.

    A token is random and opaque (it carries no registration id), kept in server memory only, good for one
    sending within FOLLOW_UP_SECONDS: a replayed form cannot overwrite the details sent, and a page that
    leaks later opens nothing. A restart ends every token; the participant looks up their status again.
    """

    def __init__(self, lifetime_seconds: float = FOLLOW_UP_SECONDS, clock: Clock = SYSTEM_CLOCK) -> None:
        self._lifetime, self._clock = lifetime_seconds, clock
        self._tokens: dict[bytes, tuple[str, float]] = {}  # SHA-256 of the token -> (registration id, issued)
        self._lock = threading.Lock()

    def issue(self, registration_id: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock.monotonic()
        with self._lock:
            self._tokens = {k: v for k, v in self._tokens.items() if now - v[1] <= self._lifetime}
            self._tokens[_token_key(token)] = (registration_id, now)
        return token

    def redeem(self, token: str) -> str | None:
        """The registration id this token was issued for, once; None for a token unknown, used or expired."""
        with self._lock:
            issued = self._tokens.pop(_token_key(token), None)
        if issued is None or self._clock.monotonic() - issued[1] > self._lifetime:
            return None
        return issued[0]


def _token_key(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


class NotApproved(Exception):
    """Follow-up details are taken only from an approved registration."""


def add_follow_up(connection: db.Connection, event: Event, registration_id: str, values: Mapping[str, str]) -> None:
    """Seal the after-approval fields into the same record; sending them again replaces the earlier ones."""
    fields = event.follow_up_fields()
    keys = [field.key for field in fields]
    with db.transaction(connection):
        row = connection.execute("SELECT status FROM registrations WHERE id = ?", (registration_id,)).fetchone()
        if row is None or row[0] != "approved":
            raise NotApproved(registration_id)
        # Deleting a reference zeroes its value where it stands, in its slot (app.storage.slots).
        replaced = connection.execute(
            f"DELETE FROM field_value_slots WHERE registration_id = ? AND field_key IN ({', '.join('?' * len(keys))})",  # noqa: S608
            (registration_id, *keys),
        ).rowcount
        # A data key that no longer guards any value is destroyed with the values.
        connection.execute(
            "DELETE FROM data_key_slots WHERE registration_id = ? AND id NOT IN"
            " (SELECT data_key_id FROM field_value_slots WHERE registration_id = ?)",
            (registration_id, registration_id),
        )
        seal_into_record(connection, event, registration_id, fields, values)
    if replaced:  # the details sent before are zeroed: the WAL's earlier versions of their pages go too
        db.checkpoint(connection)


def seal_into_record(
    connection: db.Connection, event: Event, registration_id: str, fields: Iterable[Field], values: Mapping[str, str]
) -> None:
    """Seal these fields (empty ones too) to the current keys of their compartments, within the caller's transaction."""
    by_compartment: dict[str, dict[str, str]] = {}
    for field in fields:
        by_compartment.setdefault(field.compartment, {})[field.key] = values.get(field.key, "")
    current_keys = current_public_keys(connection, event.id)
    sealed = crypto.seal_registration(
        event.id, registration_id, {name: key.public_key for name, key in current_keys.items()}, by_compartment
    )
    store_sealed_parts(
        connection, registration_id, sealed, {name: key.generation for name, key in current_keys.items()}
    )


def _pseudonym_and_status(connection: db.Connection, codename_lookup: bytes) -> tuple[str, str, str] | None:
    """(pseudonym, status, day submitted) of the registration with this codename, if there is one."""
    return connection.execute(
        "SELECT pseudonym, status, submitted_day FROM registrations WHERE codename_lookup = ?", (codename_lookup,)
    ).fetchone()


def free_pseudonym(connection: db.Connection, event_id: str) -> str:
    while True:
        pseudonym = crypto.new_pseudonym()
        taken = connection.execute(
            "SELECT 1 FROM registrations WHERE event_id = ? AND pseudonym = ?", (event_id, pseudonym)
        ).fetchone()
        if not taken:
            return pseudonym
