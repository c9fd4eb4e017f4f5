"""The review queue: from a filter of the list, open the next registrations with one reason, and decide many at once.

Opening logs one entry before anything is decrypted: "open queue", naming the compartments, every pseudonym
opened and the reason. The rows opened stay open for the reader (the caller keeps the ``Queue``, in the staff
session) until they close it, move on to the next rows, or the session ends; showing them again decrypts again
without a new entry, because it is the same opening. Only the compartments whose keys the reader holds are
opened. A record that does not open is set aside and logged, as an opening of one record is
(app.registrations.reading).

Deciding goes row by row in the table's order, each decision in its own transaction with its own status
entry: capacity is met row by row, and a row withdrawn or decided by someone else since it was shown is
refused and named while the others are saved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.audit import log as audit
from app.common.actor import Actor
from app.common.errors import GatehouseError, NotAllowed
from app.events.definition import Event
from app.keys.keyring import HeldKeys
from app.registrations import lifecycle, listing, reading, set_aside
from app.registrations.reading import compartments_of
from app.storage.connection import Connection

QUEUE_SIZE = 20
MAX_QUEUE_SIZE = 50  # a page of fifty records of every compartment is about as much as anyone reads at once


class HoldsNoCompartment(NotAllowed):
    """A queue shows answers; a reader holding no compartment would open nothing."""

    def __init__(self) -> None:
        super().__init__("you hold no compartment, so a review queue would show no answer")


class ReasonRequired(GatehouseError):
    def __init__(self) -> None:
        super().__init__("opening registrations needs a reason, which the audit log keeps")


class UnknownQueueSize(GatehouseError):
    def __init__(self) -> None:
        super().__init__(f"a queue opens from 1 to {MAX_QUEUE_SIZE} registrations at once")


@dataclass(frozen=True)
class Queue:
    """What a reader has open: the filter it came from, the reason given, and the rows now open."""

    query: listing.Query
    reason: str
    size: int
    opened: tuple[tuple[str, str], ...]  # (registration id, pseudonym) of the rows open now, in order
    seen: frozenset[str] = field(default_factory=frozenset)  # every id opened since the queue started

    @property
    def batch(self) -> str:
        """Names the rows open now, for a form to say which table it was sent from: a page sent again (a reload
        after moving on) must not save into, or move past, rows its sender never saw."""
        return hashlib.blake2b("\n".join(i for i, _p in self.opened).encode(), digest_size=8).hexdigest()

    def pseudonym_of(self, registration_id: str) -> str | None:
        return dict(self.opened).get(registration_id)


@dataclass(frozen=True)
class Row:
    """One open row as shown: ``values`` by compartment and field, None when the record does not open; ``gone``
    when it was withdrawn or destroyed since it was opened."""

    registration_id: str
    pseudonym: str
    status: str
    values: dict[str, dict[str, str]] | None
    gone: bool = False


def open_queue(
    connection: Connection,
    event: Event,
    query: listing.Query,
    *,
    keys: HeldKeys,
    actor: str,
    reason: str,
    size: int = QUEUE_SIZE,
    seen: frozenset[str] = frozenset(),
) -> Queue:
    """Open the next ``size`` registrations the filter matches and that this queue has not shown yet; one entry.

    HoldsNoCompartment, ReasonRequired, UnknownQueueSize or listing.UnknownListingValue before anything is
    read or logged. A filter that matches nothing more gives a queue with no rows, and no entry.
    """
    if not keys:
        raise HoldsNoCompartment()
    if not reason.strip():
        raise ReasonRequired()
    if not 1 <= size <= MAX_QUEUE_SIZE:
        raise UnknownQueueSize()
    ids = listing.next_ids(connection, event.id, query, size, excluding=seen)
    pseudonyms = lifecycle.pseudonyms_of(connection, ids)
    opened = tuple((registration_id, pseudonyms[registration_id]) for registration_id in ids)
    if opened:
        detail = {"compartments": compartments_of(keys), "pseudonyms": [pseudonym for _id, pseudonym in opened]}
        audit.log(connection, actor, "open queue", event.id, detail, reason.strip())
    return Queue(query, reason.strip(), size, opened, seen | set(ids))


def next_rows(connection: Connection, event: Event, queue: Queue, *, keys: HeldKeys, actor: str) -> Queue:
    """Move on: the rows after those shown, with the same filter and reason, logged as a new opening."""
    return open_queue(
        connection, event, queue.query, keys=keys, actor=actor, reason=queue.reason, size=queue.size, seen=queue.seen
    )


def rows(connection: Connection, event: Event, queue: Queue, *, keys: HeldKeys, actor: str) -> list[Row]:
    """The open rows with their answers now; their opening is already logged (open_queue)."""
    shown: list[Row] = []
    for registration_id, pseudonym in queue.opened:
        try:
            _pseudonym, status = lifecycle.pseudonym_and_status(connection, event.id, registration_id)
            values = reading.open_again(connection, event, registration_id, keys=keys, actor=actor, reason=queue.reason)
        except lifecycle.UnknownRegistration:
            shown.append(Row(registration_id, pseudonym, "", None, gone=True))
        except set_aside.RecordDoesNotOpen:
            shown.append(Row(registration_id, pseudonym, status, None))
        else:
            shown.append(Row(registration_id, pseudonym, status, values))
    return shown


@dataclass(frozen=True)
class Decision:
    registration_id: str
    shown_status: str  # the status the decider saw in the table
    decision: str  # one of lifecycle.DECISIONS


@dataclass(frozen=True)
class Refused:
    registration_id: str
    why: str  # "full", "gone" or "decided since"
    capacity: int = 0  # for "full"
    status_now: str = ""  # for "decided since"


@dataclass(frozen=True)
class Outcome:
    saved: tuple[tuple[str, str], ...]  # (registration id, decision)
    refused: tuple[Refused, ...]


def decide_rows(connection: Connection, event: Event, decisions: Sequence[Decision], actor: Actor) -> Outcome:
    """Save each decision in order, each in its own transaction; refused rows are named, the others saved.

    lifecycle.MayNotDecide, before anything is saved, for a reader who may not decide.
    """
    if not lifecycle.may_decide(actor, event):
        raise lifecycle.MayNotDecide(event.decided_by)
    saved: list[tuple[str, str]] = []
    refused: list[Refused] = []
    for row in decisions:
        try:
            lifecycle.decide_as(connection, event, row.registration_id, row.decision, actor, row.shown_status)
        except lifecycle.UnknownRegistration:
            refused.append(Refused(row.registration_id, "gone"))
        except lifecycle.DecidedMeanwhile as since:
            refused.append(Refused(row.registration_id, "decided since", status_now=since.status))
        except lifecycle.CapacityReached as full:
            refused.append(Refused(row.registration_id, "full", capacity=full.capacity))
        else:
            saved.append((row.registration_id, row.decision))
    return Outcome(tuple(saved), tuple(refused))
