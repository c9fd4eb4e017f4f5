"""An anonymous flood of wrong codenames: it may slow other failures, never lock a participant out of their own
status or withdrawal. (Floods of logins are in test_login_flood.py.)"""

from __future__ import annotations

from app.web.application import create_app
from tests.helpers import SetClock
from tests.test_status_and_withdrawal import _register, _status, _withdraw

FLOOD = 320  # the production budget is 300 failures a minute


def test_a_flood_of_wrong_codenames_never_locks_a_participant_out(demo_instance):
    # The production budget, and a clock that stands still: the whole flood falls within one minute.
    app = create_app({"INSTANCE_DIR": demo_instance.path, "CLOCK": SetClock()})
    client = app.test_client()
    pseudonym, codename = _register(client)
    refused = [_status(client, "wrong words " * 4).status_code for _ in range(FLOOD)]
    assert refused.count(429) > 0, "the flood did exhaust the budget of failures"

    seen = _status(client, codename)
    assert seen.status_code == 200 and pseudonym in seen.get_data(as_text=True)
    withdrawn = _withdraw(client, codename)
    assert withdrawn.status_code == 200 and "Your data is destroyed" in withdrawn.get_data(as_text=True)
