"""Badges for approved participants: the badge name (else the pseudonym) and a "no photos" mark, one opening.

Which fields make a badge is the event's [badges] table (app.events.definition.BadgeFields). Printing reads
those fields only, of approved registrations only, and only for a reader who holds every compartment they are
sealed to: a badge without its photo answer could send someone who asked not to be photographed into a room
of cameras unmarked. One entry, written before anything is decrypted, names the compartments, the fields and
every pseudonym opened, with the reason. A record that does not open is set aside and logged as an export
does (app.registrations.reading), and gets no badge.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.audit import log as audit
from app.common.errors import GatehouseError, NotAllowed
from app.events.definition import BadgeFields, Event
from app.keys.keyring import HeldKeys
from app.registrations import reading, set_aside
from app.storage.connection import Connection

NO_PHOTOS = "no-photos"
NO_FACE = "no-face"
PHOTOS_ALLOWED = ""


@dataclass(frozen=True)
class Badge:
    name: str  # the badge name as typed, or the pseudonym where it was left empty
    photos: str  # NO_PHOTOS, NO_FACE or PHOTOS_ALLOWED


@dataclass(frozen=True)
class PrintRun:
    badges: tuple[Badge, ...]  # sorted by name, for handing out
    set_aside: tuple[str, ...]  # pseudonyms whose records did not open: set aside and logged, no badge
    not_opened: tuple[str, ...]  # pseudonyms sealed under a key generation the reader does not hold: no badge


class EventPrintsNoBadges(GatehouseError):
    def __init__(self) -> None:
        super().__init__("this event prints no badges: its definition has no [badges] table")


class MayNotPrintBadges(NotAllowed):
    """The reader lacks a compartment a badge needs; ``missing`` names which."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(f"printing badges needs the {', '.join(missing)} compartment(s), which you do not hold")


def rule_of(event: Event) -> BadgeFields:
    if event.badges is None:
        raise EventPrintsNoBadges()
    return event.badges


def missing_compartments(event: Event, keys: HeldKeys) -> list[str]:
    """The compartments badges need that these keys do not include; empty when the reader may print."""
    held = {compartment for compartment, _generation in keys}
    return [compartment for compartment in rule_of(event).compartments if compartment not in held]


def badges(connection: Connection, event: Event, *, keys: HeldKeys, actor: str, reason: str) -> PrintRun:
    """The badges of every approved registration, logged first as one opening of the badge fields.

    Refused, with nothing logged or decrypted: EventPrintsNoBadges, MayNotPrintBadges, ReasonRequired.
    """
    rule = rule_of(event)
    missing = missing_compartments(event, keys)
    if missing:
        raise MayNotPrintBadges(missing)
    reason = reason.strip()
    if not 4 <= len(reason) <= set_aside.MAX_REASON:
        raise set_aside.ReasonRequired()
    approved = dict(
        connection.execute(
            "SELECT id, pseudonym FROM registrations WHERE event_id = ? AND status = 'approved'", (event.id,)
        ).fetchall()
    )
    fields = [key for key in (rule.name, rule.photo_consent) if key]
    detail = {"compartments": list(rule.compartments), "fields": fields, "pseudonyms": sorted(approved.values())}
    audit.log(connection, actor, "badges", event.id, detail, reason)

    run = reading.open_fields(
        connection, event, approved, status="approved", compartments=rule.compartments, fields=fields, keys=keys,
        actor=actor, action="badges", reason=reason,
    )  # fmt: skip
    made = [_badge(rule, pseudonym, values) for pseudonym, values in run.values.items()]
    return PrintRun(
        badges=tuple(sorted(made, key=lambda badge: (badge.name.casefold(), badge.name))),
        set_aside=run.set_aside,
        not_opened=run.not_opened,
    )


def _badge(rule: BadgeFields, pseudonym: str, values: dict[str, str]) -> Badge:
    name = values.get(rule.name, "").strip() or pseudonym
    if rule.photo_consent is None:
        return Badge(name, PHOTOS_ALLOWED)
    answer = values.get(rule.photo_consent, "")
    if answer in rule.no_face:
        return Badge(name, NO_FACE)
    # No answer (optional, or already destroyed) is no consent: the badge says no photos.
    if answer in rule.no_photos or not answer:
        return Badge(name, NO_PHOTOS)
    return Badge(name, PHOTOS_ALLOWED)
