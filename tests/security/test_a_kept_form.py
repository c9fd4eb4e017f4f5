"""Someone who holds the HTML of a form that was sent (a page kept in a browser's memory, a device taken before the
browser was closed) and sends it again: within minutes, as a flaky link needs, they see the same receipt; after
that, or after a restart, only that the form was received, never its codename."""

from __future__ import annotations

import re

from app.registrations.register import RESHOW_SECONDS
from app.web.application import create_app
from tests.helpers import SetClock, hidden_fields, valid_answers


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

    restarted = create_app({"INSTANCE_DIR": demo_instance.path, "CLOCK": SetClock()}).test_client()
    restarted.set_cookie("gatehouse", client.get_cookie("gatehouse").value)  # the same browser, kept open
    after_restart = _send(restarted, form)
    assert codename not in after_restart and "not shown again" in after_restart
