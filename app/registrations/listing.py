"""The staff list of registrations at the scale of an event: counts, capacity, filters, search, sort, pages.

One service for the list page. ``parse`` checks every value a front-end was asked for (status, field kit,
day, search, sort, direction, page) and refuses anything it does not know with ``UnknownListingValue``,
naming the parameter; ``list_page`` then runs the queries, all in SQL and none of them decrypting anything:
the counts by status, the number that match, and one page with LIMIT/OFFSET.

Cost. Migration 0007 adds the indexes these queries walk, so that the page's ids (by pseudonym, the
default, and for every filter or sort) come from one index read in order, with no scan of the table and no
sort; the rows are then read for those fifty ids alone. OFFSET steps over index entries only (at 50,000,
a few milliseconds for the last page). The days and kits the filters offer cost one index seek per value.
Two things are linear in the event's size and kept so: the counts by status (one pass over the narrow
(event_id, status) index; the number that match reuses them when only a status is asked) and the pseudonym
search, a LIKE over the (event_id, pseudonym) index, because a substring match cannot use an index and
pseudonyms are short (three words).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from app.common.errors import GatehouseError
from app.registrations.lifecycle import Summary
from app.storage.connection import Connection

STATUSES = ("submitted", "approved", "waitlisted", "rejected")
SORTS = ("pseudonym", "day", "status")
DIRECTIONS = ("asc", "desc")
PAGE_SIZE = 50
# The field-kit filter's value for registrations made online. Kit names start with a letter or digit
# (app.kits.bundle), so no kit can be called this.
ONLINE = "(online)"
MAX_SEARCH = 40  # longer than any pseudonym
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() would take "١٢" or " 1_0" too
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The columns each sort orders by; the pseudonym (unique in an event) last, so that pages never overlap.
_ORDER = {
    "pseudonym": ("r.pseudonym",),
    "day": ("r.submitted_day", "r.pseudonym"),
    "status": ("r.status", "r.pseudonym"),
}


class UnknownListingValue(GatehouseError):
    """A value of the list's query that is not one the list knows: ``parameter`` names which."""

    def __init__(self, parameter: str, why: str) -> None:
        self.parameter = parameter
        super().__init__(f"{parameter}: {why}")


@dataclass(frozen=True)
class Query:
    """What one list page shows. Empty filters show everything."""

    status: str = ""
    kit: str = ""  # a kit's name, or ONLINE
    day: str = ""  # YYYY-MM-DD, the day it was submitted
    search: str = ""  # part of a pseudonym, any case
    sort: str = "pseudonym"
    direction: str = "asc"
    page: int = 1

    def parameters(self, **changes: object) -> dict[str, str | int]:
        """The query as the front-end's parameters, without the defaults: for links that keep the filters."""
        changed = replace(self, **changes)  # type: ignore[arg-type]
        default = Query()
        return {
            name: getattr(changed, name)
            for name in ("status", "kit", "day", "search", "sort", "direction", "page")
            if getattr(changed, name) != getattr(default, name)
        }


def _one(given: Mapping[str, Sequence[str]], parameter: str) -> str:
    values = list(given.get(parameter, ()))
    if len(values) > 1:
        raise UnknownListingValue(parameter, "given more than once")
    return values[0].strip() if values else ""


def parse(given: Mapping[str, Sequence[str]]) -> Query:
    """A Query from the values asked for, each given at most once; UnknownListingValue for anything else.

    Names other than the list's own (a language, say) are not looked at. Whether a kit exists and whether the
    page is past the last are checked by ``list_page``, which knows the event.
    """
    status = _one(given, "status")
    if status and status not in STATUSES:
        raise UnknownListingValue("status", f"choose one of {', '.join(STATUSES)}")
    day = _one(given, "day")
    if day:
        try:
            if not _DAY.fullmatch(day):
                raise ValueError(day)
            datetime.date.fromisoformat(day)
        except ValueError:
            raise UnknownListingValue("day", "a day is written YYYY-MM-DD") from None
    search = _one(given, "search")
    if len(search) > MAX_SEARCH or any(not character.isprintable() for character in search):
        raise UnknownListingValue("search", f"search with at most {MAX_SEARCH} printable characters")
    sort = _one(given, "sort") or Query.sort
    if sort not in SORTS:
        raise UnknownListingValue("sort", f"sort by one of {', '.join(SORTS)}")
    direction = _one(given, "direction") or Query.direction
    if direction not in DIRECTIONS:
        raise UnknownListingValue("direction", f"choose one of {', '.join(DIRECTIONS)}")
    page_text = _one(given, "page")
    if page_text and (not _PAGE_NUMBER.fullmatch(page_text) or int(page_text) < 1):
        raise UnknownListingValue("page", "a page is a whole number from 1")
    return Query(status, _one(given, "kit"), day, search, sort, direction, int(page_text) if page_text else 1)


@dataclass(frozen=True)
class Counts:
    """The whole event's numbers, whatever the filters: by status, and its capacity."""

    by_status: dict[str, int]  # every status, zero included
    capacity: int | None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def approved(self) -> int:
        return self.by_status["approved"]

    @property
    def waiting(self) -> int:
        return self.by_status["waitlisted"]


@dataclass(frozen=True)
class Listing:
    query: Query
    counts: Counts
    kits: list[str]  # the field kits a registration can have come from, by name
    days: list[str]  # the days registrations were submitted on, in order
    matching: int  # how many registrations the filters match
    rows: list[Summary]
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.matching / self.page_size))

    @property
    def previous_page(self) -> int | None:
        return self.query.page - 1 if self.query.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.query.page + 1 if self.query.page < self.pages else None

    @property
    def first_shown(self) -> int:
        return (self.query.page - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return (self.query.page - 1) * self.page_size + len(self.rows)


def counts(connection: Connection, event_id: str, capacity: int | None) -> Counts:
    found = dict(
        connection.execute(
            "SELECT status, count(*) FROM registrations WHERE event_id = ? GROUP BY status", (event_id,)
        ).fetchall()
    )
    return Counts({status: found.get(status, 0) for status in STATUSES}, capacity)


def _distinct(connection: Connection, event_id: str, column: str) -> list[str]:
    """The distinct values of an indexed column in the event, in order: one index seek per value, not a pass over
    the event (a loose index scan). ``column`` is ours: submitted_day or source_kit (whose NULLs it skips)."""
    return [
        value
        for (value,) in connection.execute(
            f"WITH RECURSIVE seen(value) AS (SELECT min({column}) FROM registrations WHERE event_id = ?1"  # noqa: S608
            f" UNION ALL SELECT (SELECT min({column}) FROM registrations WHERE event_id = ?1 AND {column} > seen.value)"
            " FROM seen WHERE seen.value IS NOT NULL) SELECT value FROM seen WHERE value IS NOT NULL",
            (event_id,),
        )
    ]


def kits(connection: Connection, event_id: str) -> list[str]:
    """Every kit issued by this instance, and any other a registration names; by name."""
    issued = {name for (name,) in connection.execute("SELECT name FROM kits")}
    return sorted(issued | set(_distinct(connection, event_id, "source_kit")))


def days(connection: Connection, event_id: str) -> list[str]:
    return _distinct(connection, event_id, "submitted_day")


def _where(event_id: str, query: Query) -> tuple[str, list[object]]:
    clauses: list[str] = ["r.event_id = ?"]
    values: list[object] = [event_id]
    if query.status:
        clauses.append("r.status = ?")
        values.append(query.status)
    if query.kit == ONLINE:
        clauses.append("r.source_kit IS NULL")
    elif query.kit:
        clauses.append("r.source_kit = ?")
        values.append(query.kit)
    if query.day:
        clauses.append("r.submitted_day = ?")
        values.append(query.day)
    if query.search:
        escaped = query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("r.pseudonym LIKE ? ESCAPE '\\'")  # ASCII case-insensitive, as pseudonyms are
        values.append(f"%{escaped}%")
    return " AND ".join(clauses), values


def page_sql(event_id: str, query: Query, page_size: int = PAGE_SIZE) -> tuple[str, list[object]]:
    """The query of one page's ids, in order, and its values (for list_page, and for tests that read its plan).

    It reads one index and nothing else: OFFSET steps over index entries only, never over the rows."""
    where, values = _where(event_id, query)
    direction = " DESC" if query.direction == "desc" else ""
    order = ", ".join(column + direction for column in _ORDER[query.sort])
    sql = f"SELECT r.id FROM registrations AS r WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"  # noqa: S608
    return sql, [*values, page_size, (query.page - 1) * page_size]


def check_kit(connection: Connection, event_id: str, query: Query) -> None:
    """UnknownListingValue if the query names a field kit nobody knows."""
    _check_kit(query, kits(connection, event_id))


def _check_kit(query: Query, known_kits: list[str]) -> None:
    if query.kit and query.kit != ONLINE and query.kit not in known_kits:
        raise UnknownListingValue("kit", "there is no field kit of that name")


def next_ids(
    connection: Connection, event_id: str, query: Query, limit: int, excluding: Collection[str] = ()
) -> list[str]:
    """The first ``limit`` ids the filters match, in the query's order, leaving out those given: the next rows of
    a review queue (app.registrations.review), which never shows a row twice. The page number is not used.
    UnknownListingValue for a field kit nobody knows."""
    _check_kit(query, kits(connection, event_id))
    where, values = _where(event_id, query)
    if excluding:
        where += f" AND r.id NOT IN ({', '.join('?' * len(excluding))})"
        values.extend(excluding)
    direction = " DESC" if query.direction == "desc" else ""
    order = ", ".join(column + direction for column in _ORDER[query.sort])
    sql = f"SELECT r.id FROM registrations AS r WHERE {where} ORDER BY {order} LIMIT ?"  # noqa: S608 - our clauses
    return [registration_id for (registration_id,) in connection.execute(sql, [*values, limit])]


def list_page(
    connection: Connection, event_id: str, capacity: int | None, query: Query, page_size: int = PAGE_SIZE
) -> Listing:
    """One page of the list with the event's counts. UnknownListingValue for a field kit nobody knows and for a
    page past the last (page 1 always exists, empty or not)."""
    known_kits = kits(connection, event_id)
    _check_kit(query, known_kits)
    where, values = _where(event_id, query)
    event_counts = counts(connection, event_id, capacity)
    if query.status and not (query.kit or query.day or query.search):
        matching = event_counts.by_status[query.status]
    elif not (query.status or query.kit or query.day or query.search):
        matching = event_counts.total
    else:
        matching = connection.execute(f"SELECT count(*) FROM registrations AS r WHERE {where}", values).fetchone()[0]  # noqa: S608 - our clauses
    listing = Listing(query, event_counts, known_kits, days(connection, event_id), matching, [], page_size)
    if query.page > listing.pages:
        raise UnknownListingValue("page", f"there are {listing.pages} pages")
    sql, page_values = page_sql(event_id, query, page_size)
    ids = [registration_id for (registration_id,) in connection.execute(sql, page_values)]
    found = {
        registration_id: Summary(registration_id, pseudonym, status, day, kit, aside_on is not None)
        for registration_id, pseudonym, status, day, kit, aside_on in connection.execute(
            "SELECT r.id, r.pseudonym, r.status, r.submitted_day, r.source_kit, s.day FROM registrations AS r"  # noqa: S608 - placeholders only
            " LEFT JOIN set_aside AS s ON s.registration_id = r.id"
            f" WHERE r.id IN ({', '.join('?' * len(ids))})",
            ids,
        )
    }
    rows = [found[registration_id] for registration_id in ids]  # in the order of the page's query
    return replace(listing, rows=rows)
