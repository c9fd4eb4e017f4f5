"""Badges: the badge name (else the pseudonym) and a "no photos" mark, of approved participants only, for a reader
who holds both compartments, in one logged opening of the badge fields and nothing else."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from urllib.parse import quote_from_bytes

import pytest

from app.audit import log as audit
from app.common.actor import SHELL
from app.events.definition import EventDefinitionError, demo_event_source, load_event
from app.instance.setup import create_instance
from app.registrations import badges
from app.registrations.lifecycle import decide
from app.staff import grants
from app.web.application import create_app
from app.web.state import state_of
from tests.helpers import hidden_fields, valid_answers
from tests.security import canaries
from tests.security.test_curious_insider import _sweep
from tests.security.test_hostile_input import HOSTILE, _encode
from tests.staff_fixtures import csrf, login, make_team, registration_ids

REASON = "printing badges for the desk"
_BADGE = re.compile(
    r'<li class="badge"><p class="badge-name"><bdi dir="auto">(.*?)</bdi></p>'
    r'(?:<p class="photo-mark ([a-z-]+)"><span class="no-camera" aria-hidden="true"></span>(.*?)</p>)?</li>'
)
PRINTERS = {
    "bea": ("staff", ["identity", "safety"]),  # the registration desk: may print badges
    "ivo": ("staff", ["identity", "contact"]),  # lacks safety
    "sam": ("staff", ["safety"]),  # the safety officer: lacks identity
    "root": ("admin", []),
    "audrey": ("auditor", []),
}


@pytest.fixture
def printers(demo_instance):
    return make_team(demo_instance.path, demo_instance.recovery_words, PRINTERS)


def _connection(app):
    return state_of(app).instance.connect()


def _log(app) -> list[audit.Entry]:
    connection = _connection(app)
    try:
        return audit.entries(connection)
    finally:
        connection.close()


def _register(app, **answers: str) -> str:
    """A registration through the real form; its pseudonym."""
    client = app.test_client()
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    page = client.post("/register", data={**tokens, **valid_answers(**answers)}).get_data(as_text=True)
    return html.unescape(re.search(r'id="pseudonym"[^>]*>([^<]+)<', page).group(1))


def _decide(app, pseudonym: str, decision: str) -> str:
    connection = _connection(app)
    try:
        (registration_id,) = connection.execute(
            "SELECT id FROM registrations WHERE pseudonym = ?", (pseudonym,)
        ).fetchone()
        decide(connection, state_of(app).instance.event.id, registration_id, decision, "bea")
    finally:
        connection.close()
    return registration_id


def _print(client, reason: str = REASON):
    return client.post("/staff/badges", data={"csrf_token": csrf(client, "/staff/badges"), "reason": reason})


def _badges_on(page: str) -> list[tuple[str, str, str]]:
    """(name, mark class, mark words) of every badge on the page, in order."""
    return [(html.unescape(name), mark, words) for name, mark, words in _BADGE.findall(page)]


def _people(app) -> dict[str, str]:
    """A pseudonym for each kind of answer; only some approved."""
    people = {
        "ana": _register(app, badge_name="Ana", photo_consent="no-face"),
        "empty": _register(app, badge_name="", photo_consent="none"),
        "zoe": _register(app, badge_name="zoë", photo_consent="yes"),
        "maryam": _register(app, badge_name="مريم", photo_consent="none"),
        "waiting": _register(app, badge_name="Waitlisted Wanda"),
        "rejected": _register(app, badge_name="Rejected Rui"),
        "pending": _register(app, badge_name="Submitted Sol"),
    }
    for who in ("ana", "empty", "zoe", "maryam"):
        _decide(app, people[who], "approved")
    _decide(app, people["waiting"], "waitlisted")
    _decide(app, people["rejected"], "rejected")
    return people


def test_badges_carry_the_badge_name_or_the_pseudonym_and_the_photo_mark_of_approved_participants_only(
    app, client, printers
):
    people = _people(app)
    login(client, printers["bea"])
    response = _print(client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert sorted(_badges_on(page), key=lambda badge: badge[0].casefold()) == _badges_on(page), "sorted by name"
    assert set(_badges_on(page)) == {
        ("Ana", "no-face", "No photos of the face"),
        (people["empty"], "no-photos", "No photos"),
        ("zoë", "", ""),
        ("مريم", "no-photos", "No photos"),
    }
    for name in ("Wanda", "Rui", "Sol", "Ana Example", "Examplestan"):
        assert name not in page, f"{name} is not on a badge: not approved, or not a badge field"
    assert "<script" not in page.lower()


def test_printing_badges_writes_one_entry_with_every_pseudonym_and_the_reason(app, client, printers):
    people = _people(app)
    login(client, printers["bea"])
    before = len(_log(app))
    assert _print(client, "  " + REASON + " ").status_code == 200
    (entry,) = _log(app)[before:]
    assert (entry.actor, entry.action, entry.subject, entry.reason) == ("bea", "badges", "stockholm-forum-2027", REASON)
    approved = sorted(people[who] for who in ("ana", "empty", "zoe", "maryam"))
    assert json.loads(entry.detail) == {
        "compartments": ["identity", "safety"],
        "fields": ["badge_name", "photo_consent"],
        "pseudonyms": approved,
    }


def _damage(app, pseudonym: str, field_key: str) -> None:
    """Flip one byte of a stored ciphertext, as a damaged disk or a forged kit record would."""
    connection = _connection(app)
    try:
        with connection:
            (ciphertext,) = connection.execute(
                "SELECT ciphertext FROM field_values WHERE field_key = ?"
                " AND registration_id = (SELECT id FROM registrations WHERE pseudonym = ?)",
                (field_key, pseudonym),
            ).fetchone()
            connection.execute(
                "UPDATE sealed_slots SET content = ? WHERE slot = (SELECT slot FROM field_value_slots"
                " WHERE field_key = ? AND registration_id = (SELECT id FROM registrations WHERE pseudonym = ?))",
                (bytes([ciphertext[0] ^ 1]) + ciphertext[1:], field_key, pseudonym),
            )
    finally:
        connection.close()


def test_printing_badges_decrypts_no_answer_but_the_badge_fields(app, client, printers):
    people = _people(app)
    # Damaged answers outside the badge fields, in the same two compartments: decrypting either would fail.
    _damage(app, people["ana"], "full_name")
    _damage(app, people["ana"], "safety_notes")
    login(client, printers["bea"])
    page = _print(client).get_data(as_text=True)
    assert ("Ana", "no-face", "No photos of the face") in _badges_on(page)
    assert not [entry for entry in _log(app) if "set aside" in entry.action]


def test_a_record_that_does_not_open_is_set_aside_logged_and_gets_no_badge(app, client, printers):
    people = _people(app)
    _damage(app, people["maryam"], "photo_consent")
    login(client, printers["bea"])
    before = len(_log(app))
    page = _print(client).get_data(as_text=True)
    assert "مريم" not in page
    assert len(_badges_on(page)) == 3
    assert re.search(r'<ul id="set-aside"><li>' + re.escape(people["maryam"]) + "</li></ul>", page)
    opening, aside = _log(app)[before:]
    assert opening.action == "badges" and people["maryam"] in json.loads(opening.detail)["pseudonyms"]
    assert (aside.action, json.loads(aside.detail), aside.reason) == (
        "badges set aside",
        {"set aside": 1, "pseudonyms": [people["maryam"]]},
        REASON,
    )


def test_a_record_sealed_under_a_key_the_session_does_not_hold_gets_no_badge(app, client, printers):
    people = _people(app)
    login(client, printers["bea"])  # holds safety's first key in this session
    connection = _connection(app)
    try:
        event = state_of(app).instance.event
        # sam leaves, and safety gets a new key: bea is granted it too, from her next login.
        grants.revoke(connection, event, compartment="safety", username="sam", actor=SHELL, rotate=True)
    finally:
        connection.close()
    newcomer = _register(app, badge_name="Newcomer Nia", photo_consent="none")
    _decide(app, newcomer, "approved")
    page = _print(client).get_data(as_text=True)
    assert "Newcomer Nia" not in page
    assert re.search(r'<ul id="not-opened"><li>' + re.escape(newcomer) + "</li></ul>", page)
    assert len(_badges_on(page)) == len(people) - 3


@pytest.mark.parametrize("who", ["ivo", "sam", "root"])
def test_a_reader_without_both_compartments_is_told_which_and_nothing_is_logged_or_shown(app, printers, who):
    _people(app)
    client = app.test_client()
    login(client, printers[who])
    lacking = {"ivo": "Safety", "sam": "Identity", "root": "Identity, Safety"}[who]
    form = client.get("/staff/badges").get_data(as_text=True)
    assert f"You do not hold {lacking}, so you cannot print badges." in form
    assert 'name="reason"' not in form
    before = len(_log(app))
    response = client.post("/staff/badges", data={"csrf_token": csrf(client), "reason": REASON})
    assert response.status_code == 403
    assert _badges_on(response.get_data(as_text=True)) == [] and "Ana" not in response.get_data(as_text=True)
    assert len(_log(app)) == before


def test_auditors_and_strangers_do_not_reach_the_badges(app, printers):
    auditor = app.test_client()
    login(auditor, printers["audrey"])
    assert auditor.get("/staff/badges").status_code == 403
    stranger = app.test_client().post("/staff/badges", data={"reason": REASON})
    assert stranger.status_code == 302 and stranger.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("", "Please give a reason."),
        ("ab", "Please write between 4 and 300 characters."),
        ("   ab   ", "Please give a reason."),
        ("x" * 5000, "Please write between 4 and 300 characters."),
    ],
)
def test_a_missing_or_short_reason_gets_a_sentence_and_nothing_is_logged_or_opened(
    app, client, printers, reason, sentence
):
    _people(app)
    login(client, printers["bea"])
    before = len(_log(app))
    response = _print(client, reason)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert sentence in page and 'aria-invalid="true"' in page
    assert _badges_on(page) == [] and "Ana" not in page
    assert len(_log(app)) == before


def test_a_post_without_its_security_token_opens_nothing(app, client, printers):
    _people(app)
    login(client, printers["bea"])
    before = len(_log(app))
    response = client.post("/staff/badges", data={"reason": REASON})
    assert response.status_code == 400 and _badges_on(response.get_data(as_text=True)) == []
    assert len(_log(app)) == before


def test_the_form_page_says_what_it_opens_and_the_staff_menu_links_to_it(app, client, printers):
    login(client, printers["bea"])
    page = client.get("/staff/badges").get_data(as_text=True)
    assert "It needs the compartments: Identity, Safety." in page
    assert 'name="reason"' in page and 'name="csrf_token"' in page
    assert 'href="/staff/badges"' in client.get("/staff/").get_data(as_text=True)


def _without_badges() -> str:
    source = demo_event_source()
    return source[: source.index("[badges]")]


def test_an_event_without_badges_says_it_prints_none_and_opens_nothing(tmp_path):
    path = tmp_path / "instance"
    team = make_team(path, create_instance(path, _without_badges()), {"bea": PRINTERS["bea"]})
    app = create_app({"INSTANCE_DIR": path, "TESTING": True})
    client = app.test_client()
    login(client, team["bea"])
    assert "This event prints no badges" in client.get("/staff/badges").get_data(as_text=True)
    before = len(_log(app))
    response = client.post("/staff/badges", data={"csrf_token": csrf(client), "reason": REASON})
    assert response.status_code == 409 and "This event prints no badges" in response.get_data(as_text=True)
    assert len(_log(app)) == before


@pytest.mark.parametrize(
    ("table", "refusal"),
    [
        ('name = "nickname"', "[badges] name: 'nickname' is not a text field"),
        ('name = "track"', "[badges] name: 'track' is not a text field"),
        ("name = 3", "[badges] name: wrong type"),
        ('photo_consent = "photo_consent"\nno_photos = ["none"]', "[badges]: 'name' is missing"),
        ('name = "badge_name"\nphoto_consent = "safety_notes"\nno_photos = ["none"]', "is not a choice field"),
        ('name = "badge_name"\nphoto_consent = "photo_consent"\nno_photos = ["never"]', "'never' is not an answer"),
        ('name = "badge_name"\nphoto_consent = "photo_consent"\nno_photos = "none"', "no_photos: a list of answers"),
        ('name = "badge_name"\nphoto_consent = "photo_consent"', "name the answers of photo_consent"),
        ('name = "badge_name"\nphoto_consent = "photo_consent"\nno_photos = ["none"]\nno_face = ["none"]', "both"),
        ('name = "badge_name"\nno_photos = ["none"]', "no_photos and no_face need photo_consent"),
        ('name = "badge_name"\ncolour = "red"', "[badges] colour: unknown"),
        ('name = "full_name"', "allows 120 characters; a badge holds at most 60"),
    ],
)
def test_a_badges_table_that_names_the_wrong_fields_is_refused_with_a_sentence(table, refusal):
    with pytest.raises(EventDefinitionError) as refused:
        load_event(_without_badges() + "[badges]\n" + table + "\n")
    assert refusal in str(refused.value), str(refused.value)


def test_the_demo_event_prints_badges_from_identity_and_safety():
    rule = load_event(demo_event_source()).badges
    assert rule is not None
    assert (rule.name, rule.photo_consent, rule.compartments) == ("badge_name", "photo_consent", ("identity", "safety"))
    assert (rule.no_photos, rule.no_face) == (("none",), ("no-face",))


def test_the_badge_rules_reach_staff_pages_only_and_their_policy_allows_exactly_their_styles(app, client, printers):
    login(client, printers["bea"])
    for path, carries_badge_rules in (("/staff/badges", True), ("/staff/", True), ("/", False)):
        response = client.get(path)
        styles = re.findall(r"<style>(.*?)</style>", response.get_data(as_text=True), re.S)
        digests = [base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() for style in styles]
        policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
        assert policy["style-src"] == " ".join(f"'sha256-{digest}'" for digest in digests), path
        assert ("@page{margin:10mm}" in "".join(styles)) is carries_badge_rules, path


def test_the_service_itself_refuses_a_reader_without_safety_before_logging_or_opening(app, demo_instance):
    _people(app)
    connection = _connection(app)
    try:
        event = state_of(app).instance.event
        every_key = grants.keys_from_recovery_words(connection, event.id, " ".join(demo_instance.recovery_words))
        identity_only = {(c, g): key for (c, g), key in every_key.items() if c == "identity"}
        before = len(audit.entries(connection))
        with pytest.raises(badges.MayNotPrintBadges) as refused:
            badges.badges(connection, event, keys=identity_only, actor="cli", reason=REASON)
        assert refused.value.missing == ["safety"]
        assert len(audit.entries(connection)) == before
        printed = badges.badges(connection, event, keys=every_key, actor="cli", reason=REASON)
        assert len(printed.badges) == 4 and printed.set_aside == printed.not_opened == ()
    finally:
        connection.close()


def test_a_holder_of_both_compartments_sees_no_badge_name_through_any_page_without_a_trace(app, printers):
    # The badge names are canaries the route sweep of the curious-insider test looks for on every page.
    for number in range(2):
        answers = canaries.canary_answers(number) | {"badge_name": canaries.canary(number, "full_name")}
        pseudonym = _register(app, **answers)
        _decide(app, pseudonym, "approved")
    client = app.test_client()
    login(client, printers["bea"])
    assert _sweep(app, client, registration_ids(app)[0], "bea") == []


def test_no_hostile_reason_reaches_a_5xx_and_only_a_readable_one_opens_anything(app, client, printers):
    _people(app)
    login(client, printers["bea"])
    token = csrf(client, "/staff/badges").encode()
    before = len(_log(app))
    for value in HOSTILE:
        for body in ([("csrf_token", token), ("reason", value)], [("csrf_token", token), ("reason", value)] * 2):
            response = client.post(
                "/staff/badges?lang=" + quote_from_bytes(value),
                data=_encode(body),
                content_type="application/x-www-form-urlencoded",
            )
            assert response.status_code < 500, (value[:20], response.status_code)
            if response.status_code == 200:
                assert _badges_on(response.get_data(as_text=True)), value[:20]
    opened = [entry.reason for entry in _log(app)[before:]]
    assert all(entry_reason.strip() and len(entry_reason) <= 300 for entry_reason in opened), opened
