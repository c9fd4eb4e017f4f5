"""Messages between the organisers and a participant, with no email: sent by holders of the event's messages_by
compartment, read and answered by the participant on /status with the codename.

A message from the organisers is sealed to the participant's key (derived from the codename: crypto.messages) and
to the compartment's key; an answer to the compartment's key only. The server keeps neither private key, so it
cannot read what it stored. The log says who sent a message to which pseudonym on which day, never its text.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import crypto
from app.audit import log as audit
from app.common.actor import Actor
from app.common.errors import GatehouseError, NotAllowed
from app.events.definition import Event, MessageRules
from app.keys import keyring
from app.keys.keyring import HeldKeys
from app.registrations import lifecycle
from app.storage import db, slots
from app.storage.connection import Connection

# What a canned message's plaintext starts with: the participant reads its text in the language of the page.
CANNED_PREFIX = "\x00canned:"
_UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


class MessagesOff(GatehouseError):
    def __init__(self) -> None:
        super().__init__("this event has no messages: its definition names no messages_by compartment")


class MayNotMessage(NotAllowed):
    def __init__(self, compartment: str) -> None:
        super().__init__(f"sending and reading messages needs the {compartment} compartment")


class PredatesMessages(GatehouseError):
    def __init__(self) -> None:
        super().__init__("this registration predates messages: it has no key to seal a message to")


class MessageEmpty(GatehouseError):
    def __init__(self) -> None:
        super().__init__("a message needs a text, or one of the event's messages")


class MessageTooLong(GatehouseError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"a message has at most {limit} characters")


class TextAndCanned(GatehouseError):
    def __init__(self) -> None:
        super().__init__("send either a text or one of the event's messages, not both")


class MessageUnreadable(GatehouseError):
    def __init__(self) -> None:
        super().__init__("a message may not hold control characters")


class UnknownCannedMessage(GatehouseError):
    def __init__(self) -> None:
        super().__init__("the event has no message of that name")


@dataclass(frozen=True)
class Message:
    """One message as its reader sees it: ``canned`` is the key of a canned message (then ``text`` is empty)."""

    number: int
    day: str
    from_participant: bool
    text: str
    canned: str = ""
    new: bool = False

    @property
    def on(self) -> datetime.date:
        return datetime.date.fromisoformat(self.day)

    def shown(self, rules: MessageRules, language: str) -> str:
        """The text to show: a canned message in ``language``; one the event no longer defines by its key."""
        if not self.canned:
            return self.text
        canned = rules.canned_message(self.canned)
        return canned.text(language) if canned is not None else self.canned


def rules(event: Event) -> MessageRules:
    if event.messages is None:
        raise MessagesOff()
    return event.messages


def may_message(actor: Actor, event: Event) -> bool:
    """Whether this person may send messages and read answers; pages ask it to offer the form at all."""
    return event.messages is not None and actor.holds(event.messages.by)


def key_for_new_registration(codename: str) -> tuple[bytes, bytes]:
    """(salt, public key) to store with a new registration; the private key is not kept."""
    salt = crypto.new_message_salt()
    return salt, bytes(crypto.participant_key(codename, salt).public_key)


def predates_messages(connection: Connection, registration_id: str) -> bool:
    row = connection.execute("SELECT message_public_key FROM registrations WHERE id = ?", (registration_id,)).fetchone()
    return row is not None and row[0] is None


def _checked_text(event_rules: MessageRules, text: str, canned: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if canned:
        if text:
            raise TextAndCanned()  # a canned message is sent as the organisers wrote it, in every language
        if event_rules.canned_message(canned) is None:
            raise UnknownCannedMessage()
        return CANNED_PREFIX + canned
    if not text:
        raise MessageEmpty()
    if _UNREADABLE.search(text):  # also keeps free text from passing itself off as a canned message
        raise MessageUnreadable()
    if len(text) > event_rules.max_length:
        raise MessageTooLong(event_rules.max_length)
    return text


def send(
    connection: Connection, event: Event, registration_id: str, *, text: str, canned: str = "", actor: Actor
) -> str:
    """Seal a message to the participant and the messages_by compartment, store it, log it; returns the pseudonym.

    Refused before anything is written: MayNotMessage, MessageEmpty, MessageTooLong, MessageUnreadable, TextAndCanned,
    UnknownCannedMessage,
    UnknownRegistration (withdrawn or destroyed), PredatesMessages.
    """
    event_rules = rules(event)
    if not actor.holds(event_rules.by):
        raise MayNotMessage(event_rules.by)
    plaintext = _checked_text(event_rules, text, canned)
    with db.transaction(connection):
        pseudonym, _status = lifecycle.pseudonym_and_status(connection, event.id, registration_id)
        (participant_public_key,) = connection.execute(
            "SELECT message_public_key FROM registrations WHERE id = ?", (registration_id,)
        ).fetchone()
        if participant_public_key is None:
            raise PredatesMessages()
        _store(connection, event, registration_id, plaintext, participant_public_key)
        audit.record(connection, actor.name, "message", pseudonym)
    return pseudonym


def answer(connection: Connection, event: Event, registration_id: str, text: str) -> None:
    """The participant's answer, sealed to the messages_by compartment only; refused as ``send`` refuses."""
    event_rules = rules(event)
    plaintext = _checked_text(event_rules, text, "")
    with db.transaction(connection):
        pseudonym, _status = lifecycle.pseudonym_and_status(connection, event.id, registration_id)
        _store(connection, event, registration_id, plaintext, None)
        audit.record(connection, "participant", "answer", pseudonym)


def _store(
    connection: Connection, event: Event, registration_id: str, plaintext: str, participant_public_key: bytes | None
) -> None:
    compartment = rules(event).by
    current = keyring.current_public_keys(connection, event.id)[compartment]
    (number,) = connection.execute(
        "SELECT coalesce(max(number), 0) + 1 FROM message_slots WHERE registration_id = ?", (registration_id,)
    ).fetchone()
    sealed = crypto.seal_message(
        event_id=event.id,
        registration_id=registration_id,
        number=number,
        text=plaintext,
        compartment_key=current.public_key,
        participant_public_key=participant_public_key,
    )
    # Each sealed part in a slot of its own (app.storage.slots), zeroed where it stands when the message goes.
    taken = slots.put_together(
        connection, [sealed.key_for_compartment, sealed.body, *filter(None, [sealed.key_for_participant])]
    )
    for_compartment, body = taken[:2]
    for_participant = taken[2] if len(taken) == 3 else None  # an answer is sealed to the compartment only
    connection.execute(
        "INSERT INTO message_slots (registration_id, number, from_participant, day, compartment, key_generation,"
        " key_for_compartment_slot, key_for_participant_slot, body_slot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            registration_id,
            number,
            int(participant_public_key is None),
            connection.clock.today(),
            compartment,
            current.generation,
            for_compartment,
            for_participant,
            body,
        ),
    )


def _message(number: int, day: str, from_participant: bool, plaintext: str, new: bool = False) -> Message:
    if plaintext.startswith(CANNED_PREFIX):
        return Message(number, day, from_participant, "", plaintext[len(CANNED_PREFIX) :], new)
    return Message(number, day, from_participant, plaintext, "", new)


def thread(connection: Connection, event: Event, registration_id: str, keys: HeldKeys) -> list[Message] | None:
    """Every message and answer of a registration, newest first, opened with the compartment keys held; None when
    they hold no key of messages_by. The caller shows them only within an opening logged with a reason
    (app.registrations.reading): this is that opening's reading of the messages, not a new one.

    A message that does not open is left out: it is damaged or was moved, and shows nothing.
    """
    if event.messages is None:
        return None
    held = keyring.matching(connection, event.id, keys)
    if not any(compartment == event.messages.by for compartment, _generation in held):
        return None
    opened = []
    for (
        number,
        day,
        from_participant,
        compartment,
        generation,
        for_compartment,
        for_participant,
        body,
    ) in connection.execute(
        "SELECT number, day, from_participant, compartment, key_generation, key_for_compartment,"
        " key_for_participant, body FROM messages WHERE registration_id = ? ORDER BY number DESC",
        (registration_id,),
    ):
        private_key = held.get((compartment, generation))
        if private_key is None:
            continue
        try:
            plaintext = crypto.open_message(
                event_id=event.id,
                registration_id=registration_id,
                number=number,
                sealed=crypto.SealedMessage(for_compartment, for_participant, body),
                private_key=private_key,
                as_participant=False,
            )
        except crypto.RecordTampered:
            continue
        opened.append(_message(number, day, bool(from_participant), plaintext))
    return opened


@dataclass(frozen=True)
class ParticipantView:
    """What /status shows after a look-up: the organisers' messages, newest first, and whether answering works."""

    messages: tuple[Message, ...]
    may_answer: bool


def for_participant(connection: Connection, event: Event, registration_id: str, codename: str) -> ParticipantView:
    """The messages from the organisers, opened with the key this codename derives (only now, after the look-up
    found the registration), the ones after the last look-up marked new; then those count as seen."""
    if event.messages is None:
        return ParticipantView((), False)
    row = connection.execute(
        "SELECT message_salt, messages_seen FROM registrations WHERE id = ?", (registration_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return ParticipantView((), False)
    salt, seen = row
    rows = connection.execute(
        "SELECT number, day, key_for_compartment, key_for_participant, body FROM messages"
        " WHERE registration_id = ? AND from_participant = 0 ORDER BY number DESC",
        (registration_id,),
    ).fetchall()
    if not rows:
        return ParticipantView((), True)
    private_key = crypto.participant_key(codename, salt)
    opened = []
    for number, day, for_compartment, for_participant, body in rows:
        try:
            plaintext = crypto.open_message(
                event_id=event.id,
                registration_id=registration_id,
                number=number,
                sealed=crypto.SealedMessage(for_compartment, for_participant, body),
                private_key=private_key,
                as_participant=True,
            )
        except crypto.RecordTampered:
            continue
        opened.append(_message(number, day, False, plaintext, new=number > seen))
    del private_key
    newest = rows[0][0]
    if newest > seen:
        with db.transaction(connection):
            connection.execute("UPDATE registrations SET messages_seen = ? WHERE id = ?", (newest, registration_id))
    return ParticipantView(tuple(opened), True)
