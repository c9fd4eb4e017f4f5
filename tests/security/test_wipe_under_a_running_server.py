"""An emergency wipe from the command line while the server runs: from its next request the server answers every
page that the service is closed, holds none of the keys it had (staff sessions included), and makes nothing on
disk again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.web.application import create_app
from tests.conftest import running_server
from tests.security import visitor
from tests.security.known_keys import known_keys
from tests.security.memory import read_process_memory, x25519_forms
from tests.staff_fixtures import register_canary

CLOSED = "This service is closed."


@pytest.mark.usefixtures("process_memory_readable")
def test_a_wipe_from_the_command_line_closes_the_running_server(demo_instance, team, tmp_path):
    register_canary(create_app({"INSTANCE_DIR": demo_instance.path}).test_client(), "QZX7WIPED44")
    keys = known_keys(demo_instance.path, demo_instance.recovery_words, team)
    with running_server(demo_instance.path, tmp_path) as server:
        ana = visitor.log_in(server.url, team["ana"])
        assert ana.get("/staff/").status == 200  # a staff session with ana's compartment keys is open
        participant = visitor.Visitor(server.url)
        form = participant.get("/register")
        assert form.status == 200

        wiped = subprocess.run(
            [
                sys.executable,
                "-m",
                "app",
                "wipe",
                "--confirm",
                "stockholm-forum-2027",
                "--instance",
                str(demo_instance.path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert wiped.returncode == 0, wiped.stderr

        answers = [
            participant.get("/"),
            participant.get("/register"),
            participant.request("/register", {"full_name": "QZX7AFTER"}),
            participant.get("/status"),
            ana.get("/staff/"),
            ana.get("/staff/audit"),
        ]
        assert [answer.status for answer in answers] == [503] * len(answers)
        assert all(CLOSED in answer.html for answer in answers)
        assert sorted(path.name for path in demo_instance.path.iterdir()) == [], "nothing is made again on disk"

        image = read_process_memory(server.process.pid)
        held = {name: key for name, key in keys.compartment_keys.items() if name[0] in ("identity", "contact", "needs")}
        assert not [name for name, key in held.items() if any(image.holds(form) for form in x25519_forms(key))], (
            "the server still holds compartment keys of a session it had open when the instance was wiped"
        )
