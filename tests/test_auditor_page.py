"""Auditors see the log, whether it verifies, the retention rules and counts; never a personal value."""

from __future__ import annotations

import json
import re

import pytest

from app.audit import log as audit
from app.audit.bundle import KIND, verify_audit_bundle
from app.web.auditor import readable_detail
from app.web.state import state_of
from crypto import log_chain
from offline_bundle import read_bundle
from tests.staff_fixtures import csrf, login, open_page, register_canary, registration_ids

CANARY = "QZX7AUDIT93"


def test_an_auditor_sees_rules_counts_and_a_verifying_log_but_no_value(app, client, team):
    register_canary(client, CANARY)
    staff = app.test_client()
    login(staff, team["ana"])
    open_page(staff, registration_ids(app)[0], reason="checking the badge name")

    response = login(client, team["audrey"])
    assert response.headers["Location"].endswith("/staff/audit")
    page = client.get("/staff/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The log verifies" in html
    assert "checking the badge name" in html  # the reason given for the opening
    assert "<td>passport_number</td><td>visa</td><td>45 days after approval</td><td>0</td>" in html
    full_name = '<td>full_name</td><td>identity</td><td>60 days after the event</td><td>1</td><td class="nowrap">'
    assert full_name + "2027-07-07</td>" in html
    assert "<td>submitted</td><td>1</td>" in html
    assert CANARY not in html


def test_details_read_as_text_and_keep_every_key_and_value(app, client, team):
    register_canary(client, CANARY)
    staff = app.test_client()
    login(staff, team["ana"])
    open_page(staff, registration_ids(app)[0], reason="checking the badge name")
    login(client, team["audrey"])
    html = client.get("/staff/audit").get_data(as_text=True)
    assert '<bdi class="line">compartments: contact, identity, needs</bdi>' in html
    assert '<bdi class="line">role: staff</bdi>' in html  # the staff-add entries
    assert "{&#34;" not in html and '{"' not in html, "no detail is shown as raw JSON"
    for stored, lines in {
        '{"destroyed": 3, "rules": {"60 days after the event": 2, "the event\'s maximum": 1}}': [
            "destroyed: 3",
            "rules: (60 days after the event: 2; the event's maximum: 1)",
        ],
        '{"compartments": [], "dry run": false, "left": null}': ["compartments: —", "dry run: false", "left: null"],
        "not JSON at all": ["not JSON at all"],
        "[1, 2]": ["[1, 2]"],
    }.items():
        assert readable_detail(stored) == lines


def test_the_page_says_when_the_log_does_not_verify(app, client, team):
    login(client, team["audrey"])
    connection = state_of(app).instance.connect()
    try:
        connection.execute("UPDATE audit_log SET reason = 'altered' WHERE seq = 1")
    finally:
        connection.close()
    html = client.get("/staff/audit").get_data(as_text=True)
    assert "The log does not verify" in html and "entry 1 was changed" in html


def test_an_auditor_downloads_a_signed_log_and_the_download_is_logged(app, client, team):
    login(client, team["audrey"])
    response = client.post("/staff/audit/export", data={"csrf_token": csrf(client, "/staff/audit")})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-audit-log.ghb"')
    key = audit.signing_public_key(state_of(app).instance.connect())
    event_id, verification = verify_audit_bundle([response.get_data()], key)
    assert verification.ok and event_id == "stockholm-forum-2027"
    last = json.loads(read_bundle([response.get_data()], kind=KIND, trusted_signers={key: "instance"}).records[-1])
    assert last["action"] == "audit export" and last["actor"] == "audrey"
    assert verification.last_signed_seq == last["seq"]


def test_only_auditors_and_admins_see_the_audit_pages(client, team):
    assert client.get("/audit").headers["Location"].endswith("/staff/audit")
    assert client.get("/staff/audit").headers["Location"].endswith("/staff/login")
    login(client, team["ana"])
    assert client.get("/staff/audit").status_code == 403
    assert client.post("/staff/audit/export", data={"csrf_token": csrf(client)}).status_code == 403


def _head_code_on(html: str) -> str | None:
    matched = re.search(r"Head code of the last signed checkpoint[^<]*<code[^>]*>([^<]+)</code>", html)
    return matched.group(1) if matched else None


def test_the_page_shows_the_last_checkpoint_as_a_head_code_to_copy_on_paper(app, client, team):
    login(client, team["audrey"])
    html = client.get("/staff/audit").get_data(as_text=True)
    assert _head_code_on(html) is None and "No checkpoint is signed yet" in html
    client.post("/staff/audit/export", data={"csrf_token": csrf(client, "/staff/audit")})  # signs a checkpoint
    connection = state_of(app).instance.connect()
    try:
        last = audit.checkpoints(connection)[-1]
        assert audit.last_entries(connection, 1)[0].seq == last.seq
    finally:
        connection.close()
    code = _head_code_on(client.get("/staff/audit").get_data(as_text=True))
    assert code == log_chain.head_code(last.seq, last.head_hash)
    assert re.fullmatch(rf"{last.seq}(-[0-9A-HJKMNP-TV-Z]{{5}}){{5}}", code), code
    assert log_chain.parse_head_code(code) == log_chain.HeadCode(last.seq, last.head_hash[:15])


def test_the_page_shows_no_head_code_for_a_log_that_does_not_verify(app, client, team):
    login(client, team["audrey"])
    for _ in range(2):  # two checkpoints: the first still verifies when the second is altered
        client.post("/staff/audit/export", data={"csrf_token": csrf(client, "/staff/audit")})
    assert _head_code_on(client.get("/staff/audit").get_data(as_text=True))
    connection = state_of(app).instance.connect()
    try:
        assert len(audit.checkpoints(connection)) == 2
        connection.execute(
            "UPDATE audit_checkpoints SET day = '2001-01-01' WHERE seq = (SELECT max(seq) FROM audit_checkpoints)"
        )
    finally:
        connection.close()
    html = client.get("/staff/audit").get_data(as_text=True)
    assert "The log does not verify" in html and _head_code_on(html) is None


@pytest.mark.parametrize(
    "query",
    [
        "before=99999999999999999999999999",
        "before=9223372036854775808",  # one above SQLite's largest integer
        "before=" + "9" * 5000,
        "before=-1",
        "before=0",
        "before=",
        "before=abc",
        "before=1e3",
        "before=12.0",
        "before=%2B12",
        "before=%2012",
        "before=12_0",
        "before=0x10",
        "before=%D9%A1%D9%A2",  # Arabic-Indic digits, which int() would take
        "before=%FF%FE",  # not UTF-8
        "before=%00",
        "before=5&before=6",
    ],
)
def test_a_before_that_is_not_one_entry_number_in_range_is_a_bad_request(client, team, query):
    login(client, team["audrey"])
    response = client.get(f"/staff/audit?{query}")
    assert response.status_code == 400, (query, response.status_code)
    assert "The request could not be understood" in response.get_data(as_text=True)


def test_a_before_in_range_pages_back_through_the_log(client, team):
    login(client, team["audrey"])
    for query in ("", "before=1", "before=3", "before=007", "before=9223372036854775807"):
        assert client.get(f"/staff/audit?{query}").status_code == 200, query
    html = client.get("/staff/audit?before=3").get_data(as_text=True)
    assert re.findall(r"<tr><td>(\d+)</td><td class=\"nowrap\">\d{4}-", html) == ["1", "2"]


def test_an_entry_changed_after_the_page_verified_the_log_is_reported_at_the_next_view(app, client, team):
    """The page checks only what follows the checkpoint it verified last: what follows is still checked."""
    login(client, team["audrey"])
    client.post("/staff/audit/export", data={"csrf_token": csrf(client, "/staff/audit")})  # signs a checkpoint
    assert "The log verifies" in client.get("/staff/audit").get_data(as_text=True)
    assert state_of(app).audit_verified is not None, "the page keeps how far the log held"
    register_canary(app.test_client(), CANARY)
    login(app.test_client(), team["ana"])  # entries after the checkpoint
    connection = state_of(app).instance.connect()
    try:
        last = audit.last_entries(connection, 1)[0].seq
        connection.execute("UPDATE audit_log SET reason = 'altered' WHERE seq = ?", (last,))
    finally:
        connection.close()
    html = client.get("/staff/audit").get_data(as_text=True)
    assert "The log does not verify" in html and f"entry {last} was changed" in html


def test_a_rewritten_checkpoint_before_the_one_the_page_verified_makes_it_check_the_whole_log(app, client, team):
    login(client, team["audrey"])
    for _ in range(3):
        client.post("/staff/audit/export", data={"csrf_token": csrf(client, "/staff/audit")})
    assert "The log verifies" in client.get("/staff/audit").get_data(as_text=True)
    connection = state_of(app).instance.connect()
    try:
        connection.execute(
            "UPDATE audit_checkpoints SET day = '2001-01-01' WHERE seq = (SELECT min(seq) FROM audit_checkpoints)"
        )
    finally:
        connection.close()
    assert "The log does not verify" in client.get("/staff/audit").get_data(as_text=True)
