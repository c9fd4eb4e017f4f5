"""Staff see arrivals (arrived, expected, the capacity line, who has not arrived) and re-issue passes, logged."""

from __future__ import annotations

import pytest

from app.web.state import state_of
from tests.checkin_fixtures import approved_with_passes, desk_app, said, scan
from tests.staff_fixtures import csrf, login


@pytest.fixture
def two_approved_one_arrived(app):
    instance = state_of(app).instance
    codes = approved_with_passes(instance, 2)
    (arrived, code), (absent, _code) = codes.items()
    assert said(scan(desk_app(instance, "door-1").test_client(), code), "admitted")
    return arrived, absent


def test_staff_see_arrived_and_expected_with_the_capacity_line_and_who_has_not_arrived(
    app, client, team, two_approved_one_arrived
):
    arrived, absent = two_approved_one_arrived
    login(client, team["otto"])
    html = client.get("/staff/arrivals").get_data(as_text=True)
    assert said_in(html, "arrived") == "1 arrived of 2 expected."
    assert "2 approved of a capacity of 220; 0 on the waiting list." in html
    not_arrived = html[html.index('id="not-arrived"') :]
    assert absent in not_arrived and arrived not in not_arrived


def said_in(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[html.index(">", html.index("<strong", start)) + 1 : html.index("</strong>", start)]


def test_reissuing_from_the_page_is_logged_with_the_staff_member_and_an_unknown_pseudonym_changes_nothing(
    app, client, team, two_approved_one_arrived
):
    arrived, _absent = two_approved_one_arrived
    login(client, team["ana"])
    token = csrf(client, "/staff/arrivals")
    unknown = client.post("/staff/arrivals", data={"csrf_token": token, "pseudonym": "Nobody Here 00"})
    assert unknown.status_code == 400 and "There is no registration with that pseudonym." in unknown.get_data(
        as_text=True
    )
    with state_of(app).instance.connection() as connection:
        assert connection.execute("SELECT count(*) FROM passes WHERE revoked_day IS NOT NULL").fetchone()[0] == 0
    done = client.post("/staff/arrivals", data={"csrf_token": token, "pseudonym": arrived})
    assert done.status_code == 200 and f"The pass of {arrived} is revoked" in done.get_data(as_text=True)
    with state_of(app).instance.connection() as connection:
        last = connection.execute("SELECT actor, action, subject FROM audit_log ORDER BY seq DESC").fetchone()
    assert last == ("ana", "pass reissued", arrived)


def test_an_auditor_may_not_see_arrivals(app, client, team):
    login(client, team["audrey"])
    assert client.get("/staff/arrivals").status_code == 403
