"""Field kits for the tests: a central demo instance, a kit made from it, the kit run by `gatehouse kit serve`."""

from __future__ import annotations

import contextlib
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import crypto
from app.common.bundle_files import write_parts
from app.events.definition import demo_event_source
from app.instance.folder import Instance, open_instance
from app.instance.setup import create_instance
from app.kits.bundle import issue_kit, open_kit_bundle
from app.kits.instance import set_up_kit
from tests.conftest import LiveServer, free_port
from tests.staff_fixtures import TEST_COST


@dataclass
class Kit:
    central: Instance
    recovery_words: list[str]
    kit_file: Path
    passphrase: str
    instance: Instance  # the kit's own instance, set up from its file


def make_central(path: Path, source: str | None = None) -> tuple[Instance, list[str]]:
    words = create_instance(path, source or demo_event_source())
    return open_instance(path), words


def make_kit(tmp_path: Path, name: str = "border-1", central: tuple[Instance, list[str]] | None = None) -> Kit:
    """A kit made and set up in-process at the tests' low Argon2id cost (the CLI always uses the real one)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    instance, words = central or make_central(tmp_path / "central")
    kit_file = tmp_path / f"{name}.kit"
    connection = instance.connect()
    try:
        passphrase = issue_kit(connection, instance, name, lambda parts: write_parts(kit_file, parts), cost=TEST_COST)
    finally:
        connection.close()
    keys = crypto.derive_kit_keys(passphrase, TEST_COST)
    contents = open_kit_bundle([kit_file.read_bytes()], keys)
    return Kit(instance, words, kit_file, passphrase, set_up_kit(tmp_path / f"{name}-kit", contents, keys))


def gatehouse(*arguments: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@contextlib.contextmanager
def running_kit(
    kit_dir: Path, passphrase: str, tmp_path: Path, kit_file: Path | None = None, https: bool = False
) -> Iterator[LiveServer]:
    """`gatehouse kit serve` in its own process, the passphrase typed on standard input."""
    port = free_port()
    output = tmp_path / f"kit-output-{port}.log"
    temp_dir = tmp_path / "kit-tmp"
    temp_dir.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "app", "kit", "serve", "--instance", str(kit_dir), "--port", str(port)]
    command += [str(kit_file)] if kit_file else []
    command += ["--https"] if https else []
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(temp_dir)},
        )
    process.stdin.write(passphrase.encode() + b"\n")
    process.stdin.close()
    url = f"{'https' if https else 'http'}://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2, context=unverified_context()).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the kit did not start:\n" + output.read_text(errors="replace")) from None
            time.sleep(0.2)
    try:
        yield LiveServer(url, process, output, temp_dir)
    finally:
        process.terminate()
        process.wait(timeout=10)


def unverified_context() -> ssl.SSLContext:
    """A client context that accepts the kit's self-signed certificate: tests compare its fingerprint instead."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
