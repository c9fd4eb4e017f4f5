"""Auditors see the log, whether it verifies, the retention rules and counts; never a personal value."""

from __future__ import annotations

import json

from app.audit import log as audit
from app.audit.bundle import KIND, verify_audit_bundle
from app.web.state import state_of
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
    assert "<td>full_name</td><td>identity</td><td>60 days after the event</td><td>1</td><td>2027-07-07</td>" in html
    assert "<td>submitted</td><td>1</td>" in html
    assert CANARY not in html


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
