"""The `gatehouse` command: the demo sets up an instance once, then reuses it."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.request

from tests.conftest import free_port


def _run_demo(instance, port, timeout=30):
    """Start `gatehouse demo`, wait until it serves, stop it; return what it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "GATEHOUSE_INSTANCE": str(instance), "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                assert "Stockholm Defenders Forum" in page
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                time.sleep(0.1)
        else:
            raise AssertionError("the demo did not start")
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    return output


def test_demo_creates_the_instance_prints_the_url_and_recovery_words_once(tmp_path):
    instance = tmp_path / "demo-instance"
    port = free_port()
    first = _run_demo(instance, port)
    assert f"http://127.0.0.1:{port}/" in first
    words = re.search(r"RECOVERY KEY.*?\n\n((?:\s+[a-z ]+\n){4})", first, re.S)
    assert words and len(words.group(1).split()) == 24
    assert stat.S_IMODE((instance / "secret.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert (instance / "gatehouse.db").read_bytes()[:16] != b"SQLite format 3\x00", "the database is encrypted"

    second = _run_demo(instance, free_port())
    assert "RECOVERY KEY" not in second, "an existing instance is reused, not set up again"
    assert "Created" not in second


def test_serve_without_an_instance_says_what_to_do(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--instance", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "gatehouse init" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_server_on_a_port_in_use_says_so_in_one_sentence(tmp_path):
    from app.events.definition import demo_event_source
    from app.instance.setup import create_instance

    instance = tmp_path / "instance"
    create_instance(instance, demo_event_source())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # a port of its own: none that a server just left in TIME_WAIT
        port = taken.getsockname()[1]
        taken.listen()
        result = subprocess.run(
            [sys.executable, "-m", "app", "serve", "--instance", str(instance), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stderr
    assert f"127.0.0.1:{port} is already in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_refuses_an_event_file_that_breaks_a_rule_and_names_the_field(tmp_path):
    event = tmp_path / "event.toml"
    from app.events.definition import demo_event_source

    event.write_text(demo_event_source().replace('compartment = "visa"', 'compartment = "nowhere"', 1))
    result = subprocess.run(
        [sys.executable, "-m", "app", "init", "--instance", str(tmp_path / "i"), "--event", str(event)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "passport_name" in result.stderr and "nowhere" in result.stderr
    assert not (tmp_path / "i" / "secret.key").exists(), "nothing is left half made"


EVERY_COMMAND = (
    "audit",
    "backup",
    "bundle",
    "check-event",
    "checkin",
    "demo",
    "doctor",
    "grant",
    "init",
    "invite",
    "keys",
    "kit",
    "letters",
    "purge",
    "restore",
    "revoke",
    "serve",
    "staff",
    "systemd-unit",
    "tor-config",
    "wipe",
)


def test_the_command_lists_each_command_once_and_no_option_that_does_nothing():
    result = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    listed = re.findall(r"^  ([a-z][a-z-]*)\s", result.stdout.split("Commands:", 1)[1], re.MULTILINE)
    assert listed == sorted(EVERY_COMMAND), "each command once, and only the real ones"
    # A Flask CLI would offer these, and here they would do nothing.
    for option in ("--app", "--debug", "--env-file"):
        assert option not in result.stdout
