"""The visa letters page: the checks' findings first, then the letters as a download the server does not keep,
only for a reader holding every compartment the letter reads; every bad form answered with a sentence."""

from __future__ import annotations

import json
import re

import pytest

from app.audit import log as audit
from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.registrations.lifecycle import decide
from app.registrations.register import add_follow_up
from app.web.application import create_app
from app.web.state import state_of
from tests.letter_fixtures import NAMES, REASON, visa_details
from tests.staff_fixtures import csrf, login, make_team, register_canary, registration_ids

ROSTER = {
    "vera": ("staff", ["visa", "travel"]),  # the visa team: may make letters
    "vic": ("staff", ["visa"]),  # lacks travel, which the demo letter reads
    "root": ("admin", []),
    "audrey": ("auditor", []),
}


@pytest.fixture
def team(demo_instance):
    return make_team(demo_instance.path, demo_instance.recovery_words, ROSTER)


def approved_with_visa(app, client, count: int, **visa: str) -> list[str]:
    """``count`` approved registrations with their visa details; their pseudonyms."""
    for number in range(count):
        register_canary(client, f"QZX7LET{number}")
    connection = state_of(app).instance.connect()
    event = state_of(app).instance.event
    try:
        for number, registration_id in enumerate(registration_ids(app)):
            decide(connection, event.id, registration_id, "approved", "ana")
            add_follow_up(connection, event, registration_id, visa_details(number, **visa))
        return sorted(p for (p,) in connection.execute("SELECT pseudonym FROM registrations"))
    finally:
        connection.close()


def entries(app, action: str) -> list[audit.LogEntry]:
    connection = state_of(app).instance.connect()
    try:
        return [entry for entry in audit.entries(connection) if entry.action == action]
    finally:
        connection.close()


def register_rows(app) -> int:
    connection = state_of(app).instance.connect()
    try:
        return connection.execute("SELECT count(*) FROM letter_register").fetchone()[0]
    finally:
        connection.close()


def test_checked_then_downloaded_letters_hold_the_names_and_are_logged(app, client, team):
    pseudonyms = approved_with_visa(app, client, 2)
    login(client, team["vera"])
    page = client.get("/staff/letters").get_data(as_text=True)
    assert "Waiting for a letter: 2." in page and "QZX7P" not in page
    checked = client.post("/staff/letters", data={"csrf_token": csrf(client, "/staff/letters"), "reason": REASON})
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and all(p in html for p in pseudonyms) and "QZX7P" not in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    made = client.post("/staff/letters/make", data={"csrf_token": token, "reason": REASON, "language": "en"})
    assert made.status_code == 200
    assert made.headers["Content-Disposition"] == 'attachment; filename="visa-letters-SDF27-0001-SDF27-0002.html"'
    assert "no-store" in made.headers["Cache-Control"]
    document = made.get_data(as_text=True)
    assert all(name in document for name in NAMES) and "QZX7P0000" in document and "<script" not in document
    (opening,) = entries(app, "letters")
    assert json.loads(opening.detail)["pseudonyms"] == pseudonyms and opening.reason == REASON
    assert entries(app, "letters checked")[0].reason == REASON
    assert register_rows(app) == 2


@pytest.mark.parametrize("who", ["vic", "root"])
def test_a_reader_without_every_compartment_or_an_admin_without_grants_cannot_make_letters(app, client, team, who):
    approved_with_visa(app, client, 1)
    login(client, team[who])
    page = client.get("/staff/letters").get_data(as_text=True)
    assert 'id="missing"' in page and 'action="/staff/letters?' not in page
    assert 'action="/staff/letters/revoke' not in page
    token = csrf(client)
    for path in ("/staff/letters", "/staff/letters/make"):
        refused = client.post(path, data={"csrf_token": token, "reason": REASON, "language": "en"})
        assert refused.status_code == 403 and "QZX7P" not in refused.get_data(as_text=True)
    assert entries(app, "letters") == entries(app, "letters checked") == [] and register_rows(app) == 0


def test_an_auditor_is_not_shown_the_letters_page(app, client, team):
    login(client, team["audrey"])
    assert client.get("/staff/letters").status_code == 403


@pytest.mark.parametrize(
    "form",
    [
        {"reason": ""},
        {"reason": "x" * 301},
        {"reason": REASON, "language": "xx"},
        {"reason": REASON, "override": ["Nobody 1"]},
        {"reason": REASON, "override": ["Nobody 1"], "override_reason": "no"},
    ],
)
def test_a_bad_letters_form_is_answered_with_a_sentence_and_changes_nothing(app, client, team, form):
    approved_with_visa(app, client, 1, passport_expiry="2027-06-01")
    login(client, team["vera"])
    before = len(entries(app, "letters"))
    answer = client.post("/staff/letters/make", data={"csrf_token": csrf(client, "/staff/letters"), **form})
    assert answer.status_code == 400 and 'class="error"' in answer.get_data(as_text=True)
    assert register_rows(app) == 0
    if not form["reason"] or len(form["reason"]) > 300 or form.get("language") == "xx":
        assert len(entries(app, "letters")) == before


def test_a_finding_stops_a_letter_until_it_is_overridden_with_a_reason(app, client, team):
    (early,) = approved_with_visa(app, client, 1, passport_expiry="2027-06-01")
    login(client, team["vera"])
    token = csrf(client, "/staff/letters")
    checked = client.post("/staff/letters", data={"csrf_token": token, "reason": REASON}).get_data(as_text=True)
    assert "the passport expires on June 1, 2027, before August 7, 2027." in checked
    assert f'value="{early}"' in checked  # the override box
    none = client.post("/staff/letters/make", data={"csrf_token": token, "reason": REASON, "language": "en"})
    assert none.status_code == 409 and 'id="made-none"' in none.get_data(as_text=True)
    made = client.post(
        "/staff/letters/make",
        data={"csrf_token": token, "reason": REASON, "language": "en", "override": [early],
              "override_reason": "the consulate was told"},
    )  # fmt: skip
    assert made.status_code == 200 and "attachment" in made.headers["Content-Disposition"]
    assert entries(app, "letter checks overridden")[0].reason == "the consulate was told"


def _make_through_the_page(client) -> tuple[str, str]:
    token = csrf(client, "/staff/letters")
    client.post("/staff/letters", data={"csrf_token": token, "reason": REASON})
    document = client.post("/staff/letters/make", data={"csrf_token": token, "reason": REASON, "language": "en"})
    return re.search(r'class="verify">(SDF27-\d{4}) · <span>([0-9A-Z-]{23})<', document.get_data(as_text=True)).groups()


def test_a_letter_is_confirmed_and_revoked_from_the_page_without_the_passport_shown_again(app, client, team):
    approved_with_visa(app, client, 1)
    login(client, team["vera"])
    reference, code = _make_through_the_page(client)

    def confirm(passport: str, who=client) -> str:
        form = {"verify-csrf_token": csrf(who, "/staff/letters"), "verify-reference": reference.lower(),
                "verify-code": code.replace("-", " "), "verify-passport": passport}  # fmt: skip
        answer = who.post("/staff/letters/verify", data=form)
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        assert passport not in html, "the passport number is not shown again"
        return re.search(r'id="verdict"[^>]*>([^<]+)<', html).group(1)

    assert confirm("QZX7P0000").startswith("Genuine:")
    assert confirm("QZX7P0009").startswith("Not genuine:")
    root = app.test_client()
    login(root, team["root"])  # an admin without grants may confirm, not revoke
    assert confirm("QZX7P0000", root).startswith("Genuine:")
    form = {"revoke-csrf_token": csrf(root), "revoke-reference": reference, "revoke-reason": "issued in error"}
    assert root.post("/staff/letters/revoke", data=form).status_code == 403
    form["revoke-csrf_token"] = csrf(client)
    revoked = client.post("/staff/letters/revoke", data=form).get_data(as_text=True)
    assert f"{reference} is revoked." in revoked
    assert confirm("QZX7P0000").startswith("Revoked:")
    assert [entry.reason for entry in entries(app, "letter revoked")] == ["issued in error"]
    assert len(entries(app, "letter verified")) == 4


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/staff/letters/verify", {"verify-reference": "SDF27-0001", "verify-code": "", "verify-passport": "X"}),
        ("/staff/letters/verify", {"verify-reference": "S" * 41, "verify-code": "A", "verify-passport": "X"}),
        ("/staff/letters/revoke", {"revoke-reference": "SDF27-0099", "revoke-reason": "issued in error"}),
        ("/staff/letters/revoke", {"revoke-reference": "SDF27-0001", "revoke-reason": "  no  "}),
    ],
)
def test_a_bad_confirmation_or_revocation_is_answered_with_a_sentence(app, client, team, path, form):
    login(client, team["vera"])
    prefix = path.rsplit("/", 1)[1]
    answer = client.post(path, data={f"{prefix}-csrf_token": csrf(client, "/staff/letters"), **form})
    assert answer.status_code == 400 and 'class="error"' in answer.get_data(as_text=True)
    assert entries(app, "letter verified") == entries(app, "letter revoked") == []


def test_the_privacy_notice_says_what_the_register_keeps_and_until_when(client):
    notice = client.get("/").get_data(as_text=True)
    assert "a keyed fingerprint of your passport number, never the number itself" in notice
    assert "This record is kept until May 6, 2028" in notice  # 365 days after the event's last day, 7 May 2027
    assert "Apart from the record of a visa letter, nothing is kept after" in notice


def test_an_event_without_letters_says_so_and_makes_none(tmp_path):
    source = demo_event_source()
    words = create_instance(tmp_path / "plain", source[: source.index("\n# Visa support letters")])
    vera = make_team(tmp_path / "plain", words, {"vera": ("staff", ["visa", "travel"])})["vera"]
    client = create_app({"INSTANCE_DIR": tmp_path / "plain", "TESTING": True}).test_client()
    notice = client.get("/").get_data(as_text=True)
    assert "visa letter" not in notice and "Nothing is kept after" in notice
    login(client, vera)
    assert 'id="no-letters"' in client.get("/staff/letters").get_data(as_text=True)
    token = csrf(client, "/staff/letters")
    for path in ("/staff/letters", "/staff/letters/make", "/staff/letters/verify", "/staff/letters/revoke"):
        assert client.post(path, data={"csrf_token": token, "reason": REASON}).status_code == 409
