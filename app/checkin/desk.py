"""The check-in desk: a pass scanned (its long code) or typed (its short code), its first use at the desk recorded.

A long code is verified offline with the pass public key; a short code carries no signature, so it is only
looked up in what the desk knows of passes (a kit's pass list, which central signed; central's passes table).
A pass issued after a kit's list is admitted by its QR code only. The desk keeps the day of an arrival, never
the time, and a pass's tag, never its id.

A desk runs on a field kit or on the central instance. On a kit it knows the pass public key and the pass list
of central's last pass-list bundle (app.checkin.lists); on central it reads the passes table itself. Either way
it holds no private pass key and no name: it shows the pseudonym, or only that the pass is valid; a desk on central
run by a staff member who holds the badge name's compartment also shows the badge name (app.checkin.badge_names).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

from app.checkin import badge_names, passes
from app.common.errors import GatehouseError
from app.events.definition import Event, Text
from app.storage import db
from app.storage.connection import Connection
from crypto import passes as pass_crypto

_DESK_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")


class DeskError(GatehouseError):
    """A desk that cannot check passes yet (no pass list, a bad name); the message is fit to show."""


class PassRefused(GatehouseError):
    """A code the desk refuses; nothing is recorded. Each subclass is one sentence for the volunteer."""


class CodeMistyped(PassRefused):
    def __init__(self, reason: str) -> None:
        super().__init__(f"this is not a pass code ({reason}): check it and type it again")
        self.reason = reason  # "length", "character" or "check"


class NotGenuine(PassRefused):
    def __init__(self) -> None:
        super().__init__("this pass is not genuine: it was not made by the organisers of this event")


class ForAnotherEvent(PassRefused):
    def __init__(self, event_name: Text) -> None:
        super().__init__(f"this pass is for another event, not {event_name('en')}")
        self.event_name = event_name


class Revoked(PassRefused):
    def __init__(self) -> None:
        super().__init__("this pass was revoked: it was replaced, withdrawn or is no longer approved")


class ShortCodeNotListed(PassRefused):
    """A well-typed short code no pass of this desk's list has: on a kit it may be newer than the list."""

    def __init__(self, list_day: datetime.date | None) -> None:
        super().__init__("this short code is not in the desk's pass list: scan the pass's QR code")
        self.list_day = list_day  # None on central, which knows every pass


class OutOfDate(PassRefused):
    def __init__(self, first_day: datetime.date, last_day: datetime.date) -> None:
        super().__init__(f"this pass is valid from {first_day} to {last_day}, not today")
        self.first_day, self.last_day = first_day, last_day


@dataclass(frozen=True)
class Arrival:
    """A pass's first use at a desk: the day, never the time."""

    day: datetime.date
    desk: str


@dataclass(frozen=True)
class Checked:
    """A genuine, standing pass: admitted now, or already used (then ``earlier`` says on which days and where)."""

    pseudonym: str | None  # None: issued after this desk's pass list
    earlier: tuple[Arrival, ...]  # empty: admitted now; else this desk's use first, then other desks' by day
    badge_name: str | None = None  # only at a desk on central held by a staff member with the name's compartment


@dataclass(frozen=True)
class ListAge:
    """How current the desk's knowledge of revocations is: live on central, a day on a kit."""

    live: bool
    made_day: datetime.date | None = None

    def days_old(self, today: datetime.date) -> int:
        return (today - self.made_day).days if self.made_day else 0


def normalise_desk_name(typed: str) -> str:
    name = typed.strip().lower()
    if not _DESK_NAME.fullmatch(name):
        raise DeskError("a desk name is 2 to 40 lowercase letters, digits, dots, hyphens or underscores")
    return name


def is_kit_desk(connection: Connection) -> bool:
    return connection.execute("SELECT 1 FROM kit_identity").fetchone() is not None


def list_age(connection: Connection) -> ListAge | None:
    """Live on central; on a kit the day of its pass list, or None when it has none yet."""
    if not is_kit_desk(connection):
        return ListAge(live=True)
    row = connection.execute("SELECT made_day FROM desk_list").fetchone()
    return ListAge(live=False, made_day=datetime.date.fromisoformat(row[0])) if row else None


def check_in(
    connection: Connection, event: Event, desk: str, typed: str, holder: badge_names.DeskHolder | None = None
) -> Checked:
    """Verify the pass offline and record its first use at this desk; a PassRefused, and nothing recorded, if not.

    With a ``holder`` (a desk on central held by a staff member), the badge name is opened too, and logged.
    """
    checked, tag = _check_in(connection, event, desk, typed)
    if holder is None or is_kit_desk(connection):
        return checked
    return dataclasses.replace(checked, badge_name=badge_names.badge_name(connection, event, holder, desk, tag))


def _check_in(connection: Connection, event: Event, desk: str, typed: str) -> tuple[Checked, bytes]:
    with db.transaction(connection):
        verify_key, state_of = _source(connection, event)
        try:
            tag, first_day, last_day = _read(verify_key, event, typed)
        except pass_crypto.PassMistyped as mistyped:
            raise CodeMistyped(str(mistyped)) from None
        except pass_crypto.PassForAnotherEvent:
            raise ForAnotherEvent(event.name) from None
        except pass_crypto.PassNotGenuine:
            raise NotGenuine() from None
        standing = state_of(tag)
        if standing is None and pass_crypto.is_short_code(typed):
            # A short code carries no signature: only a list central signed can vouch for it.
            age = list_age(connection)
            raise ShortCodeNotListed(age.made_day if age else None)
        if standing is not None and standing.revoked:
            raise Revoked()
        today = connection.clock.date()
        if not first_day <= today <= last_day:
            raise OutOfDate(first_day, last_day)
        pseudonym = standing.pseudonym if standing else None
        earlier = tuple(
            Arrival(datetime.date.fromisoformat(day), at)
            for day, at in connection.execute(
                "SELECT day, desk FROM arrivals WHERE pass_tag = ? ORDER BY desk != ?, day, desk", (tag, desk)
            )
        )
        if earlier:
            return Checked(pseudonym, earlier), tag
        connection.execute(
            "INSERT INTO arrivals (pass_tag, desk, day) VALUES (?, ?, ?)", (tag, desk, today.isoformat())
        )
    return Checked(pseudonym, ()), tag


def _read(verify_key: bytes, event: Event, typed: str) -> tuple[bytes, datetime.date, datetime.date]:
    """The tag and valid days of a short code (the event's days) or of a long code (its signed days)."""
    if pass_crypto.is_short_code(typed):
        return pass_crypto.pass_tag(pass_crypto.read_short_code(typed)), event.starts, event.ends
    found = pass_crypto.verify_pass(verify_key, event.id, pass_crypto.read_code(typed))
    return pass_crypto.pass_tag(found.pass_id), found.first_day, found.last_day


def _source(connection: Connection, event: Event) -> tuple[bytes, Callable[[bytes], passes.PassState | None]]:
    """The pass public key and what this desk knows of a pass's standing, by its tag."""
    if not is_kit_desk(connection):
        return passes.public_key_within(connection), lambda tag: passes.state_of(connection, event, tag)
    row = connection.execute("SELECT pass_public_key FROM desk_list").fetchone()
    if row is None:
        raise DeskError("this desk has no pass list yet: load one from the central instance first")

    def state_of(tag: bytes) -> passes.PassState | None:
        found = connection.execute("SELECT revoked, pseudonym FROM desk_passes WHERE pass_tag = ?", (tag,)).fetchone()
        return passes.PassState(bool(found[0]), found[1]) if found else None

    return row[0], state_of
