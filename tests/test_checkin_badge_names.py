"""Badge names at a desk: only at a desk on central held by a staff member with the name's compartment, each
opening logged; a desk without it holds and shows no name; a grant revoked since takes the names away."""

from __future__ import annotations

import pytest

from app.checkin import badge_names
from app.common.actor import SHELL
from app.staff import grants
from tests.checkin_fixtures import approved_with_passes, central_at_the_door, desk_app, said, scan

NAME = "QZX7BADGE93"


@pytest.fixture
def central(demo_instance, team):
    return central_at_the_door(demo_instance.path)


def holder_of(central, team, username: str):
    with central.connection() as connection:
        keys, name = grants.keys_of_holder(connection, central.event.id, username, team[username].passphrase)
    return badge_names.holder_for_desk(central.event, name, keys)


def log_entries(central, action: str) -> list[tuple]:
    with central.connection() as connection:
        rows = "SELECT actor, subject, reason FROM audit_log WHERE action = ? ORDER BY seq"
        return connection.execute(rows, (action,)).fetchall()


def test_a_desk_held_by_a_holder_of_identity_shows_the_badge_name_and_logs_each_opening(central, team):
    [(pseudonym, code)] = approved_with_passes(central, 1, badge_name=NAME).items()
    door = desk_app(central, "door-1", holder=holder_of(central, team, "ana")).test_client()
    first = scan(door, code)
    assert said(first, "badge-name") == NAME and said(first, "admitted")
    assert said(scan(door, code), "badge-name") == NAME
    assert log_entries(central, "badge name at the desk") == [("ana", pseudonym, "check-in at desk door-1")] * 2


def test_a_desk_without_identity_shows_and_logs_no_name(central, team):
    [code] = approved_with_passes(central, 1, badge_name=NAME).values()
    assert holder_of(central, team, "otto") is None  # logistics: needs only
    response = scan(desk_app(central, "door-1").test_client(), code)
    assert said(response, "admitted") and NAME not in response.get_data(as_text=True)
    assert log_entries(central, "badge name at the desk") == []


def test_a_grant_revoked_after_the_desk_started_shows_no_name_from_the_next_scan(central, team):
    [code] = approved_with_passes(central, 1, badge_name=NAME).values()
    door = desk_app(central, "door-1", holder=holder_of(central, team, "ana")).test_client()
    with central.connection() as connection:
        grants.revoke(connection, central.event, compartment="identity", username="ana", actor=SHELL)
    response = scan(door, code)
    assert said(response, "admitted") and NAME not in response.get_data(as_text=True)
    assert log_entries(central, "badge name at the desk") == []
