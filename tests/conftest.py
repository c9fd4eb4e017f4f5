"""Fixtures: a real instance in a temporary folder, with a real SQLCipher database."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from app.events.definition import demo_event_source
from app.instance.setup import create_instance
from app.web.application import create_app

# Property tests: at least 10,000 examples each in CI (where CI is set), a quick pass locally.
settings.register_profile("ci", max_examples=10_000, deadline=None, database=None)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@dataclass
class DemoInstance:
    path: Path
    recovery_words: list[str]


@pytest.fixture
def demo_instance(tmp_path: Path) -> DemoInstance:
    path = tmp_path / "instance"
    return DemoInstance(path, create_instance(path, demo_event_source()))


@pytest.fixture
def app(demo_instance: DemoInstance):
    return create_app({"INSTANCE_DIR": demo_instance.path, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    output: Path
    temp_dir: Path

    def printed(self) -> bytes:
        return self.output.read_bytes()


@contextlib.contextmanager
def serving(
    instance_path: Path,
    folder: Path,
    *extra_args: str,
    env: dict[str, str] | None = None,
    command: tuple[str, ...] = ("serve",),
    ready: str = "/",
):
    """`gatehouse serve` (or another serving ``command``) in its own process: waitress on loopback, the production
    configuration; ready once ``ready`` answers."""
    port = free_port()
    output = folder / "server-output.log"
    temp_dir = folder / "server-tmp"
    temp_dir.mkdir(exist_ok=True)
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", *command, "--instance", str(instance_path), "--port", str(port), *extra_args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(temp_dir), **(env or {})},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + ready, timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the server did not start:\n" + output.read_text(errors="replace")) from None
            time.sleep(0.1)
    try:
        yield LiveServer(url, process, output, temp_dir)
    finally:
        process.terminate()
        process.wait(timeout=10)


# The name the retention, load and security tests use.
running_server = serving


@pytest.fixture
def live_server(demo_instance: DemoInstance, tmp_path: Path):
    with serving(demo_instance.path, tmp_path) as server:
        yield server


# Staff accounts on the demo instance, for the staff tests.
from tests.staff_fixtures import team  # noqa: E402, F401
