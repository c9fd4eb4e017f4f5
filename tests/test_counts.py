"""Counts without names: the options of the choice fields one holds, by status and by field kit, each computation
logged once with its compartments and reason, nothing else opened, and no count below the event's threshold shown
or recoverable from the others."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter

import pytest

from app.events.definition import EventDefinitionError, demo_event_source, load_event
from app.instance.setup import create_instance
from app.kits.sync import import_from_kit
from app.registrations import counts as counting
from app.registrations.counts import NO_ANSWER, count_choices
from app.registrations.listing import ONLINE
from app.registrations.records import load_all_records, open_record
from app.registrations.suppression import SMALL, WITHHELD, Cell, Total
from app.staff import grants
from app.web.application import create_app
from app.web.state import state_of
from tests.helpers import approve, hidden_fields, ids_by_pseudonym, page_text, valid_answers
from tests.kit_fixtures import make_kit
from tests.security.test_counts_cannot_be_differenced import linearly_recoverable
from tests.staff_fixtures import ROSTER, csrf, login, make_team
from tests.sync_fixtures import export, register_on_kit

REASON = "catering numbers for the venue"
DIETS = ["vegan"] * 5 + ["halal"] * 4 + ["vegetarian"] * 3 + ["kosher", "any"]
TRACKS = ["digital-security", "strategic-litigation", "video-campaigning"]


def _log(app) -> list:
    connection = state_of(app).instance.connect()
    try:
        return connection.execute(
            "SELECT actor, action, subject, detail, reason FROM audit_log ORDER BY seq"
        ).fetchall()
    finally:
        connection.close()


def _register(client, **answers: str) -> str:
    """Through the real form; the pseudonym the receipt shows."""
    tokens = hidden_fields(page_text(client.get("/register")))
    receipt = page_text(client.post("/register", data={**tokens, **valid_answers(**answers)}))
    return re.search(r'id="pseudonym"[^>]*>([^<]+)<', receipt).group(1)


def _count_page(client, reason: str | None = REASON):
    data = {"csrf_token": csrf(client, "/staff/counts")}
    if reason is not None:
        data["reason"] = reason
    return client.post("/staff/counts", data=data)


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response)))


def _instance_with(tmp_path, source: str):
    words = create_instance(tmp_path / "instance", source)
    app = create_app({"INSTANCE_DIR": tmp_path / "instance", "TESTING": True})
    return app, make_team(tmp_path / "instance", words, ROSTER), words


def _counts(app, words, reason: str = REASON) -> counting.Counts:
    """The counts as the service gives them to a holder of every compartment (the recovery key)."""
    instance = state_of(app).instance
    connection = instance.connect()
    try:
        keys = grants.keys_from_recovery_words(connection, instance.event.id, " ".join(words))
        return count_choices(connection, instance.event, keys=keys, actor="ana", reason=reason)
    finally:
        connection.close()


def _by(table: counting.Table) -> dict[tuple[str, str], counting.Shown]:
    return {
        (row, column): table.cells[r][c] for r, row in enumerate(table.rows) for c, column in enumerate(table.columns)
    }


# --- What is logged, and what is opened ---------------------------------------------------------------------


def test_each_computation_is_one_aggregate_entry_with_the_compartments_and_the_reason(app, client, team):
    for diet in ("vegan", "halal", "vegan"):
        _register(app.test_client(), diet=diet)
    login(client, team["ana"])  # identity, contact, needs: only needs holds choice fields
    before = len(_log(app))
    assert _count_page(client).status_code == 200
    assert _count_page(client, "second look, same need").status_code == 200
    event_id = state_of(app).instance.event.id
    assert _log(app)[before:] == [
        ("ana", "aggregate", event_id, json.dumps({"compartments": ["needs"]}), REASON),
        ("ana", "aggregate", event_id, json.dumps({"compartments": ["needs"]}), "second look, same need"),
    ]


def test_a_reader_of_needs_gets_no_table_of_a_compartment_it_does_not_hold(app, client, team):
    _register(app.test_client())
    login(client, team["otto"])
    html = page_text(_count_page(client))
    assert "Training you would like to join" in html and "Food" in html
    assert "Photographs" not in html and "Do not photograph" not in html, "photo_consent is in safety"


def test_only_the_choice_fields_are_opened_so_spoiled_free_text_does_not_matter_and_a_spoiled_answer_is_set_aside(
    tmp_path,
):
    app, _team, words = _instance_with(tmp_path, _threshold(2))
    client = app.test_client()
    kept, fine, spoiled = (_register(client, diet=diet) for diet in ("halal", "vegan", "vegan"))
    ids = ids_by_pseudonym(app)
    connection = state_of(app).instance.connect()
    try:  # ciphertexts that fail to open, wherever they are opened
        spoil = (
            "UPDATE sealed_slots SET content = zeroblob(length) WHERE slot ="
            " (SELECT slot FROM field_value_slots WHERE registration_id = ? AND field_key = ?)"
        )
        for field_key in ("access_needs", "full_name", "safe_contact", "safety_notes"):
            connection.execute(spoil, (ids[kept], field_key))
        connection.execute(spoil, (ids[spoiled], "diet"))
        connection.commit()
    finally:
        connection.close()
    made = _counts(app, words)
    assert made.compartments == ("needs", "safety") and made.set_aside == 1
    assert [f.field.key for f in made.fields] == ["track", "diet", "photo_consent"]
    food = next(f for f in made.fields if f.field.key == "diet").by_status
    assert food.total == counting.Shown(2), "the record with spoiled free text is counted; the other is not"
    log = _log(app)
    assert [entry[1] for entry in log[-2:]] == ["aggregate", "aggregate set aside"]
    assert json.loads(log[-1][3]) == {"set aside": 1, "pseudonyms": [spoiled]}
    assert fine not in log[-1][3] and kept not in log[-1][3]


def _threshold(smallest: int) -> str:
    source = demo_event_source()
    assert "smallest_count_shown = 5\n" in source
    return source.replace("smallest_count_shown = 5\n", f"smallest_count_shown = {smallest}\n")


# --- The numbers ------------------------------------------------------------------------------------------


def test_counts_match_the_answers_given_through_the_form(tmp_path):
    app, _team, words = _instance_with(tmp_path, _threshold(2))
    client = app.test_client()
    given = []
    for number, diet in enumerate(DIETS):
        given.append((_register(client, diet=diet, track=TRACKS[number % 3]), diet, TRACKS[number % 3]))
    ids = ids_by_pseudonym(app)
    approved = {pseudonym for pseudonym, _diet, _track in given[::2]}
    for pseudonym in approved:
        approve(app, ids[pseudonym])
    made = _counts(app, words)
    for key, column in (("diet", 1), ("track", 2)):
        expected = Counter((row[column], "approved" if row[0] in approved else "submitted") for row in given)
        table = next(f for f in made.fields if f.field.key == key).by_status
        assert NO_ANSWER not in table.rows, "a required field that everyone answered"
        assert table.columns == ("submitted", "approved", "waitlisted", "rejected")
        shown = 0
        for (option, status), cell in _by(table).items():
            if cell.count is None:
                assert (cell.why == SMALL) == (expected[option, status] < 2), (option, status)
            else:
                assert cell.count == expected[option, status] >= 2, (option, status)
                shown += 1
        assert shown >= 3, "what is large enough is mostly shown"
        totals = Counter(row[column] for row in given)
        for option, total in zip(table.rows, table.row_totals, strict=True):
            assert total.count in (None, totals[option]) and (total.why == SMALL) == (totals[option] < 2)
        assert [t.count for t in table.column_totals] == [len(given) - len(approved), len(approved), None, None]
        assert table.total.count == len(given)


def test_a_count_below_the_threshold_and_every_margin_below_it_read_fewer_than(app, client, team):
    for diet in ("vegan", "vegan", "halal"):
        _register(app.test_client(), diet=diet)
    login(client, team["otto"])
    response = _count_page(client)
    assert response.status_code == 200
    tables = re.findall(r"<table.*?</table>", page_text(response), re.S)
    assert len(tables) == 2  # training and food, by status only: no field kit
    for table in tables:
        numbers = re.findall(r"<td[^>]*>([^<]*)</td>", table)
        assert numbers and set(numbers) == {"fewer than 5"}, numbers
        assert re.search(r'<caption id="[^"]+">By status</caption>', table)
        assert '<th scope="col" class="status">waitlisted</th>' in table
    assert '<th scope="row"><bdi>Vegan</bdi></th>' in tables[1]


def test_the_threshold_is_the_one_the_event_file_sets(tmp_path):
    app, team, _words = _instance_with(tmp_path, _threshold(3))
    for diet in ("vegan",) * 3 + ("halal",) * 2:
        _register(app.test_client(), diet=diet)
    client = app.test_client()
    login(client, team["otto"])
    assert "A count below 3 is shown as “fewer than 3”" in page_text(client.get("/staff/counts"))
    food = re.findall(r"<table.*?</table>", page_text(_count_page(client)), re.S)[1]
    assert re.search(r'<bdi>Vegan</bdi></th>(<td>[^<]+</td>)+<td class="total">3</td>', food), food
    assert re.search(r'<bdi>Halal</bdi></th>(<td>[^<]+</td>)+<td class="total">fewer than 3</td>', food), food
    assert load_event(demo_event_source().replace("smallest_count_shown = 5\n", "")).smallest_count_shown == 5


@pytest.mark.parametrize("value", ["1", "0", "-5", '"five"', "2.5", "true", "[5]"])
def test_a_bad_smallest_count_shown_is_refused_with_a_clear_message(value):
    with pytest.raises(EventDefinitionError) as refused:
        load_event(demo_event_source().replace("smallest_count_shown = 5", f"smallest_count_shown = {value}"))
    assert str(refused.value).startswith("[event] smallest_count_shown: a whole number of at least 2")


def _truth(app, words, field: counting.Field, by_status: counting.Table, by_source: counting.Table) -> list:
    """The field's real tables, opened here with the recovery key record by record, in the page's rows and columns."""
    instance = state_of(app).instance
    connection = instance.connect()
    try:
        keys = grants.keys_from_recovery_words(connection, instance.event.id, " ".join(words))
        rows = connection.execute("SELECT id, status, source_kit FROM registrations").fetchall()
        values = {
            record.registration_id: open_record(instance.event.id, record, keys)[field.compartment].get(field.key, "")
            for record in load_all_records(connection, instance.event.id)
        }
    finally:
        connection.close()
    tables = [[[0] * len(table.columns) for _ in table.rows] for table in (by_status, by_source)]
    for registration_id, status, kit in rows:
        row = by_status.rows.index(values[registration_id] or NO_ANSWER)
        tables[0][row][by_status.columns.index(status)] += 1
        tables[1][row][by_source.columns.index(kit or ONLINE)] += 1
    return tables


def _hidden(field_counts: counting.FieldCounts) -> dict:
    hidden = {}
    for number, table in enumerate((field_counts.by_status, field_counts.by_source)):
        for r, c in itertools.product(range(len(table.rows)), range(len(table.columns))):
            if table.cells[r][c].count is None:
                hidden[Cell(number, r, c)] = table.cells[r][c].why
    shared = field_counts.by_status.row_totals
    return hidden | {Total(r): total.why for r, total in enumerate(shared) if total.count is None}


def test_by_field_kit_once_a_kit_brought_some_and_nothing_withheld_can_be_worked_out_from_the_page(tmp_path):
    kit = make_kit(tmp_path, "border-1")
    central = create_app({"INSTANCE": kit.central, "TESTING": True})
    for number in range(12):
        _register(central.test_client(), diet=DIETS[number], track=TRACKS[number % 3])
    assert all(f.by_source is None for f in _counts(central, kit.recovery_words).fields)
    register_on_kit(kit, 4)
    connection = kit.central.connect()
    try:
        import_from_kit(connection, kit.central, export(kit).parts)
    finally:
        connection.close()
    for registration_id in list(ids_by_pseudonym(central).values())[::3]:
        approve(central, registration_id)
    made = _counts(central, kit.recovery_words)
    for field_counts in made.fields:
        by_status, by_source = field_counts.by_status, field_counts.by_source
        assert by_source is not None and by_source.columns == (ONLINE, "border-1")
        assert by_source.row_totals == by_status.row_totals, "one option total, in both tables"
        assert by_source.total.count == by_status.total.count == 16
        truth = _truth(central, kit.recovery_words, field_counts.field, by_status, by_source)
        hidden = _hidden(field_counts)
        assert hidden and set(hidden.values()) <= {SMALL, WITHHELD}
        for number, table in enumerate((by_status, by_source)):
            for r, c in itertools.product(range(len(table.rows)), range(len(table.columns))):
                assert table.cells[r][c].count in (None, truth[number][r][c])
        assert linearly_recoverable(truth, hidden) == [], field_counts.field.key


# --- The page ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "ab", "    ", "  a  "])
def test_a_missing_or_short_reason_is_refused_with_a_sentence_and_nothing_is_logged(app, client, team, reason):
    _register(app.test_client())
    login(client, team["otto"])
    before = _log(app)
    response = _count_page(client, reason)
    assert response.status_code == 400
    assert "Please give a reason." in _text(response) or "Please write between 4 and 300 characters." in _text(response)
    assert "<table" not in page_text(response)
    assert _log(app) == before


def test_without_its_token_the_form_counts_nothing(app, client, team):
    _register(app.test_client())
    login(client, team["otto"])
    before = _log(app)
    response = client.post("/staff/counts", data={"reason": REASON})
    assert response.status_code == 400 and "<table" not in page_text(response)
    assert _log(app) == before


def test_a_reader_with_no_choice_field_is_told_so_and_nothing_is_opened_or_logged(app, client, team):
    _register(app.test_client())
    login(client, team["root"])  # an administrator without grants
    page = client.get("/staff/counts")
    assert page.status_code == 200 and 'id="nothing-to-count"' in page_text(page)
    assert '<form method="post" action="/staff/counts"' not in page_text(page)
    before = _log(app)
    response = client.post("/staff/counts", data={"csrf_token": csrf(client), "reason": REASON})
    assert 'id="nothing-to-count"' in page_text(response) and "<table" not in page_text(response)
    assert _log(app) == before
    instance = state_of(app).instance
    connection = instance.connect()
    try:
        with pytest.raises(counting.NothingToCount):
            count_choices(connection, instance.event, keys={}, actor="root", reason=REASON)
    finally:
        connection.close()
    assert _log(app) == before


def test_the_page_is_for_staff_and_administrators(app, client, team):
    assert client.get("/staff/counts").status_code == 302  # to the login page
    login(client, team["audrey"])
    assert client.get("/staff/counts").status_code == 403
    other = app.test_client()
    login(other, team["otto"])
    page = other.get("/staff/counts")
    assert page.status_code == 200 and '<a href="/staff/counts">Counts</a>' in page_text(page)
    assert "in needs, and nothing else" in _text(page)


@pytest.mark.parametrize(
    ("language", "direction", "heading"), [("es", "ltr", "Recuentos"), ("fa", "rtl", "شمارش\u200cها")]
)
def test_the_page_speaks_the_language_asked_like_the_other_staff_pages(app, client, team, language, direction, heading):
    login(client, team["otto"])
    html = page_text(client.get(f"/staff/counts?lang={language}", headers={"Accept-Language": "ru"}))
    assert f'<html lang="{language}" dir="{direction}">' in html and f"<h1>{heading}</h1>" in html
