"""The staff list at the scale of an event: counts and capacity, filters, search, sort and pages of fifty, all
through one GET form; anything the list does not know is refused with a sentence; the page query reads an index."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.registrations import listing
from app.registrations.lifecycle import decide
from app.web.application import create_app
from app.web.state import state_of
from tests.retention_helpers import register_one
from tests.staff_fixtures import ROSTER, csrf, login, make_team

ROOT = Path(__file__).resolve().parent.parent
_ROW = re.compile(r'<tr><td><a href="/staff/registrations/[0-9a-f]+">([^<]+)</a>')


def _connection(app):
    return state_of(app).instance.connect()


def _fill(app, decisions: dict[str, int], submitted: int) -> dict[str, list[str]]:
    """Register through the real path; decide some; return the pseudonyms by status."""
    connection = _connection(app)
    event_id = state_of(app).instance.event.id
    by_status: dict[str, list[str]] = {status: [] for status in listing.STATUSES}
    try:
        for status, number in [*decisions.items(), ("submitted", submitted)]:
            for _ in range(number):
                registration_id = register_one(connection, state_of(app).instance)
                if status != "submitted":
                    decide(connection, event_id, registration_id, status, "ana")
                (pseudonym,) = connection.execute(
                    "SELECT pseudonym FROM registrations WHERE id = ?", (registration_id,)
                ).fetchone()
                by_status[status].append(pseudonym)
    finally:
        connection.close()
    return by_status


def _names(response) -> list[str]:
    return [html.unescape(name) for name in _ROW.findall(response.get_data(as_text=True))]


def _link(response, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else None


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_the_list_shows_fifty_a_page_and_keeps_the_filters_across_pages(app, client, team):
    by_status = _fill(app, {"rejected": 5}, submitted=112)
    login(client, team["ana"])
    first = client.get("/staff/?status=submitted&sort=pseudonym&direction=desc")
    assert first.status_code == 200
    shown, response, pages = _names(first), first, 1
    assert len(shown) == 50
    assert _link(first, "prev") is None
    while (following := _link(response, "next")) is not None:
        for kept in ("status=submitted", "direction=desc"):
            assert kept in following, f"{following} lost {kept}"
        response = client.get(following)
        assert response.status_code == 200
        assert _link(response, "prev") is not None
        shown += _names(response)
        pages += 1
    assert pages == 3 and len(_names(response)) == 12
    assert shown == sorted(by_status["submitted"], reverse=True), "every submitted one once, in order, no rejected"
    assert "Page 3 of 3" in _text(response) and "101 to 112 of 112." in _text(response)


def test_counts_and_capacity_line(app, client, team):
    _fill(app, {"approved": 3, "waitlisted": 2, "rejected": 1}, submitted=4)
    login(client, team["otto"])
    text = _text(client.get("/staff/?status=rejected"))
    for status, number in (("submitted", 4), ("approved", 3), ("waitlisted", 2), ("rejected", 1), ("in all", 10)):
        assert f"{status} {number}" in text, status
    assert "3 approved of a capacity of 220; 2 on the waiting list." in text, "counts are the event's, not the filter's"


def test_an_event_without_capacity_says_so(tmp_path, monkeypatch):
    source = demo_event_source()
    assert "capacity = 220\n" in source
    words = create_instance(tmp_path / "instance", source.replace("capacity = 220\n", ""))
    app = create_app({"INSTANCE_DIR": tmp_path / "instance", "TESTING": True})
    team = make_team(tmp_path / "instance", words, ROSTER)
    client = app.test_client()
    login(client, team["ana"])
    assert "This event has no capacity limit: 0 approved, 0 on the waiting list." in _text(client.get("/staff/"))


def test_filters_by_status_kit_day_and_a_search_by_part_of_a_pseudonym(app, client, team):
    by_status = _fill(app, {"approved": 2}, submitted=6)
    connection = _connection(app)
    try:
        rows = connection.execute("SELECT id, pseudonym FROM registrations ORDER BY pseudonym").fetchall()
        connection.execute("UPDATE registrations SET source_kit = 'kit-north' WHERE id = ?", (rows[0][0],))
        connection.execute("UPDATE registrations SET submitted_day = '2027-01-02' WHERE id = ?", (rows[1][0],))
    finally:
        connection.close()
    login(client, team["ana"])
    assert sorted(_names(client.get("/staff/?status=approved"))) == sorted(by_status["approved"])
    assert _names(client.get("/staff/?kit=kit-north")) == [rows[0][1]]
    assert len(_names(client.get(f"/staff/?kit={listing.ONLINE}"))) == 7
    assert _names(client.get("/staff/?day=2027-01-02")) == [rows[1][1]]
    wanted = rows[2][1]
    part = wanted.split(" ")[1][1:].upper()  # the middle of the noun, in another case
    found = _names(client.get("/staff/", query_string={"search": part}))
    assert wanted in found and all(part.lower() in name.lower() for name in found)
    for literal in ("%", "_", "\\"):
        response = client.get("/staff/", query_string={"search": literal})
        assert response.status_code == 200 and _names(response) == [], f"{literal!r} is a character, not a pattern"
    page = client.get("/staff/?status=approved&kit=kit-north").get_data(as_text=True)
    assert '<option value="approved" selected>' in page and "<option selected>kit-north</option>" in page


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("sort=age", "The list is sorted by pseudonym, day or status, once."),
        ("direction=up", "The list is sorted ascending or descending, once."),
        ("status=withdrawn", "There is no such status"),
        ("status=submitted&status=approved", "There is no such status, or it was given twice"),
        ("kit=nosuch", "There is no such field kit"),
        ("day=2027-13-01", "A day is written once, as year-month-day"),
        ("day=tomorrow", "A day is written once, as year-month-day"),
        ("search=" + "x" * 41, "Search once, with at most 40"),
        ("page=0", "There is no such page of this list"),
        ("page=-1", "There is no such page of this list"),
        ("page=two", "There is no such page of this list"),
        ("page=%D9%A2", "There is no such page of this list"),  # an Arabic-Indic two
        ("page=99999999999999999999999", "There is no such page of this list"),
        ("page=2", "There is no such page of this list"),  # past the last: three registrations make one page
        ("page=1&page=1", "There is no such page of this list"),
    ],
)
def test_an_unknown_sort_is_refused_with_a_sentence(app, client, team, query, sentence):
    _fill(app, {}, submitted=3)
    login(client, team["ana"])
    response = client.get(f"/staff/?{query}")
    assert response.status_code == 400, query
    text = _text(response)
    assert sentence in text and "Here is the whole list, from its first page." in text
    assert len(_names(response)) == 3


def test_status_words_go_through_the_catalog_and_never_break_mid_word(app, client, team):
    _fill(app, {"waitlisted": 1}, submitted=1)
    login(client, team["ana"])
    page = client.get("/staff/").get_data(as_text=True)
    assert '<td class="status">waitlisted</td>' in page and '<td class="status">submitted</td>' in page
    catalog = (ROOT / "app" / "web" / "translations" / "messages.pot").read_text("utf-8")
    for status in listing.STATUSES:
        assert f'msgid "{status}"' in catalog, f"{status} is not marked for translation"
    style = (ROOT / "app" / "web" / "staff.css").read_text("utf-8")  # the staff pages' own stylesheet
    rule = re.search(r"(?:^|[}\n])([^{}]*\.status[^{}]*)\{([^}]*)\}", style)
    assert rule and "white-space:nowrap" in rule.group(2) and "overflow-wrap:normal" in rule.group(2), rule


def _plan(app, query: listing.Query) -> list[str]:
    connection = _connection(app)
    try:
        sql, values = listing.page_sql(state_of(app).instance.event.id, query)
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", values)]
    finally:
        connection.close()


@pytest.mark.parametrize(
    "query",
    [
        listing.Query(),
        listing.Query(direction="desc", page=3),
        listing.Query(sort="day"),
        listing.Query(sort="status", direction="desc"),
        listing.Query(status="waitlisted"),
        listing.Query(day="2027-05-01", sort="day"),
        listing.Query(kit=listing.ONLINE),
    ],
)
def test_the_page_query_reads_an_index_in_order_and_never_sorts_the_table(app, query):
    _fill(app, {"approved": 2}, submitted=3)
    connection = _connection(app)
    try:
        connection.execute("ANALYZE")  # as a long-running instance would have statistics
    finally:
        connection.close()
    plan = _plan(app, query)
    assert not any("TEMP B-TREE" in step for step in plan), plan
    (step,) = [step for step in plan if re.match(r"(SCAN|SEARCH) r\b", step)]
    assert "USING COVERING INDEX" in step, f"the page's ids come from an index alone: {plan}"


def test_grants_offer_only_compartments_and_active_staff_that_exist(app, client, team):
    connection = _connection(app)
    try:
        connection.execute("UPDATE staff SET disabled = 1 WHERE username = 'otto'")
        grants_before = connection.execute("SELECT * FROM grants ORDER BY 1, 2, 3, 4").fetchall()
    finally:
        connection.close()
    login(client, team["ana"])
    page = client.get("/staff/grants").get_data(as_text=True)

    def options(name: str) -> list[str]:
        select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
        assert select, name
        return [value for value in re.findall(r'<option[^>]*value="([^"]*)"', select.group(1)) if value]

    compartments = [c.name for c in state_of(app).instance.event.compartments]
    assert options("grant-compartment") == options("revoke-compartment") == compartments
    assert options("grant-username") == ["ana", "audrey", "root"], "the disabled account is not offered"
    assert options("revoke-username") == ["ana", "audrey", "otto", "root"], "keys are revoked from anyone"
    for field, value, sentence in (
        ("grant-compartment", "nosuch", "There is no compartment of that name."),
        ("grant-username", "otto", "There is no active staff member of that name."),
        ("grant-username", "nobody", "There is no active staff member of that name."),
    ):
        data = {"grant-csrf_token": csrf(client, "/staff/grants"), "grant-compartment": "needs"}
        data |= {"grant-username": "root", field: value}
        response = client.post("/staff/grants", data=data)
        error = f'<p class="error" id="{field}-error">{sentence}</p>'  # on the form, before any service is asked
        assert response.status_code == 400 and error in response.get_data(as_text=True), (field, value)
    connection = _connection(app)
    try:
        assert connection.execute("SELECT * FROM grants ORDER BY 1, 2, 3, 4").fetchall() == grants_before
    finally:
        connection.close()
