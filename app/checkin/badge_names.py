"""The badge name at a desk on central whose volunteer is a staff member holding the name's compartment.

Each name shown is one logged opening of that one field of that one registration ("badge name at the desk",
with the desk as the reason), like any other reading. Before each, the grant is read again: a staff member
disabled, or a compartment revoked, since the desk started shows pseudonyms only from the next scan on. A desk
on a kit never holds a private compartment key, so it never shows a name.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.audit import log as audit
from app.events.definition import Event
from app.keys.keyring import HeldKeys
from app.registrations import reading
from app.storage.connection import Connection


@dataclass(frozen=True)
class DeskHolder:
    """The staff member whose keys the desk holds, and those keys (only the badge name's compartment)."""

    username: str
    keys: HeldKeys


def name_compartment(event: Event) -> str | None:
    """The compartment the badge name field is sealed to; None if the event prints no badges."""
    if event.badges is None or not event.badges.name:
        return None
    return next(field.compartment for field in event.fields if field.key == event.badges.name)


def holder_for_desk(event: Event, username: str, keys: HeldKeys) -> DeskHolder | None:
    """Keep only the keys of the badge name's compartment; None if the staff member holds none of them."""
    compartment = name_compartment(event)
    kept = {(c, g): key for (c, g), key in keys.items() if c == compartment}
    return DeskHolder(username, kept) if kept else None


def badge_name(connection: Connection, event: Event, holder: DeskHolder, desk: str, pass_tag: bytes) -> str | None:
    """The badge name of the pass's approved registration, opened and logged; None if it cannot be shown."""
    compartment = name_compartment(event)
    row = connection.execute(
        "SELECT r.id, r.pseudonym FROM passes AS p JOIN registrations AS r ON r.id = p.registration_id"
        " WHERE p.pass_tag = ? AND r.status = 'approved'",
        (pass_tag,),
    ).fetchone()
    still_holds = connection.execute(
        "SELECT 1 FROM grants JOIN staff ON staff.id = grants.staff_id"
        " WHERE staff.username = ? AND staff.disabled = 0 AND grants.event_id = ? AND grants.compartment = ?",
        (holder.username, event.id, compartment),
    ).fetchone()
    if row is None or still_holds is None or event.badges is None:
        return None
    registration_id, pseudonym = row
    field = event.badges.name
    reason = f"check-in at desk {desk}"
    audit.log(connection, holder.username, "badge name at the desk", pseudonym, {"fields": [field]}, reason)
    opened = reading.open_fields(
        connection, event, {registration_id: pseudonym}, status="approved", compartments=[compartment or ""],
        fields=[field], keys=holder.keys, actor=holder.username, action="badge name at the desk", reason=reason,
    )  # fmt: skip
    name = opened.values.get(pseudonym, {}).get(field, "").strip()
    return name or None
