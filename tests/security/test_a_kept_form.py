"""Someone who holds the HTML of a form that was sent (a page kept in a browser's memory, a device taken before the
browser was closed) and sends it again: within minutes, as a flaky link needs, they see the same receipt; after
that, or after a restart, only that the form was received, never its codename."""

from __future__ import annotations

import datetime
import re

from app.registrations.register import RESHOW_SECONDS
from app.web.application import create_app
from tests.helpers import SetClock, hidden_fields, valid_answers

_TWO_DAYS = datetime.timedelta(days=2)


def _send(client, form: dict[str, str]) -> str:
    response = client.post("/register", data=form)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _codename(html: str) -> str | None:
    found = re.search(r'id="codename"[^>]*>([^<]+)<', html)
    return found.group(1) if found else None


def test_a_form_sent_again_shows_its_codename_only_for_minutes(demo_instance):
    clock = SetClock()
    client = create_app({"INSTANCE_DIR": demo_instance.path, "CLOCK": clock}).test_client()
    form = {**hidden_fields(client.get("/register").get_data(as_text=True)), **valid_answers()}
    first = _send(client, form)
    codename = _codename(first)
    pseudonym = re.search(r'id="pseudonym"[^>]*>([^<]+)<', first).group(1)

    clock.advance(RESHOW_SECONDS - 60)  # a retry over a link that kept failing
    assert _codename(_send(client, form)) == codename

    clock.advance(120)  # past the window: someone who kept the page
    later = _send(client, form)
    assert _codename(later) is None and codename not in later and pseudonym not in later
    assert "not shown again" in later

    # A server that restarts has forgotten when it was shown: in its first minutes it answers in full a form of
    # that day or the day before (a reply lost to a crash), and nothing once those minutes are over, or for older ones.
    cookie = client.get_cookie("gatehouse").value  # the same browser, kept open
    restarted_clock = SetClock(now=clock.now())
    restarted = create_app({"INSTANCE_DIR": demo_instance.path, "CLOCK": restarted_clock}).test_client()
    restarted.set_cookie("gatehouse", cookie)
    assert _codename(_send(restarted, form)) == codename
    restarted_clock.advance(RESHOW_SECONDS + 1)
    assert _codename(_send(restarted, form)) is None

    two_days_later = create_app({"INSTANCE_DIR": demo_instance.path, "CLOCK": SetClock(now=clock.now() + _TWO_DAYS)})
    two_days_later_client = two_days_later.test_client()
    two_days_later_client.set_cookie("gatehouse", cookie)
    after_restart = _send(two_days_later_client, form)
    assert codename not in after_restart and "not shown again" in after_restart


def test_a_kept_form_sent_after_a_withdrawal_brings_nothing_back(demo_instance):
    """Withdrawal is final: the form that made the registration, sent again by whoever kept it (or by a retry),
    stores nothing and asks for a new form; the destroyed registration stays destroyed."""
    client = create_app({"INSTANCE_DIR": demo_instance.path, "TESTING": True}).test_client()
    form = {**hidden_fields(client.get("/register").get_data(as_text=True)), **valid_answers()}
    codename = _codename(_send(client, form))
    status_form = hidden_fields(client.get("/status").get_data(as_text=True))
    withdrawn = client.post(
        "/status/withdraw", data={"csrf_token": status_form["csrf_token"], "codename": codename, "confirm": "y"}
    )
    assert withdrawn.status_code == 200 and _registrations(demo_instance) == 0
    again = client.post("/register", data=form)
    assert again.status_code == 400 and "later withdrawn" in again.get_data(as_text=True)
    assert _codename(again.get_data(as_text=True)) is None
    assert _registrations(demo_instance) == 0


def _registrations(demo_instance) -> int:
    from app.instance.folder import opened

    with opened(demo_instance.path) as (_instance, connection):
        return connection.execute("SELECT count(*) FROM registrations").fetchone()[0]
