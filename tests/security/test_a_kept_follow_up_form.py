"""Someone who holds a follow-up form that was sent (its HTML, with the hidden token): sending it again, with
other details, changes nothing, and the token itself names no registration."""

from __future__ import annotations

import base64
import re

from tests.helpers import FOLLOW_UP, approve, ids_by_pseudonym
from tests.test_follow_up import _opened, _send_follow_up
from tests.test_status_and_withdrawal import _register, _status


def _decoded(token: str) -> str:
    """Whatever base64 pieces of the token say, as text: a signed token would carry the id there."""
    pieces = []
    for piece in re.split(r"[.:]", token):
        try:
            pieces.append(base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4)).decode("latin-1"))
        except ValueError:
            continue
    return " ".join(pieces)


def test_a_follow_up_form_is_good_for_one_sending_and_names_no_record(app, client, demo_instance):
    pseudonym, codename = _register(client)
    registration_id = ids_by_pseudonym(app)[pseudonym]
    approve(app, registration_id)
    status_html = _status(client, codename).get_data(as_text=True)
    token = re.search(r'name="record"[^>]*value="([^"]+)"', status_html).group(1)
    assert registration_id not in token and registration_id not in _decoded(token), "the token is opaque"

    sent = _send_follow_up(client, status_html)
    assert sent.status_code == 200

    replayed = _send_follow_up(client, status_html, {**FOLLOW_UP, "passport_number": "QZX7REPLAY93"})
    assert replayed.status_code == 400 and "This form has expired" in replayed.get_data(as_text=True)
    assert _opened(app, demo_instance, registration_id)["visa"]["passport_number"] == FOLLOW_UP["passport_number"]
