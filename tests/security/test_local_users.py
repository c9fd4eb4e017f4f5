"""Another user on the same machine: every file an instance or a command makes is owner-only from its first byte,
whatever the umask, and no command writes a secret through a link someone else planted."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.web.application import create_app
from tests.helpers import hidden_fields, valid_answers


def _gatehouse(*arguments: str, umask: int = 0o022, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(umask),  # the umask a careless operator might have
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _register_once(instance: Path) -> None:
    client = create_app({"INSTANCE_DIR": instance}).test_client()
    tokens = hidden_fields(client.get("/register").get_data(as_text=True))
    assert client.post("/register", data={**tokens, **valid_answers()}).status_code == 200


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_an_instance_is_owner_only_whatever_the_umask_and_the_folders_old_mode(tmp_path, umask):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)  # noqa: S103 - a folder that already existed, readable by everyone
    made = _gatehouse("init", "--event", str(_demo_toml(tmp_path)), "--instance", str(folder), umask=umask)
    assert made.returncode == 0, made.stderr
    previous = os.umask(umask)
    try:
        _register_once(folder)  # the WAL and shared-memory files appear with the first write
    finally:
        os.umask(previous)
    assert _mode(folder) == 0o700
    files = sorted(folder.iterdir())
    assert {path.name for path in files} >= {"secret.key", "gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"}
    assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}


def _demo_toml(tmp_path: Path) -> Path:
    from app.events.definition import demo_event_source

    path = tmp_path / "event.toml"
    path.write_text(demo_event_source())
    return path


def test_an_instance_made_readable_by_an_older_version_is_made_owner_only_when_opened(demo_instance):
    for name in ("secret.key", "gatehouse.db"):
        os.chmod(demo_instance.path / name, 0o644)
    _register_once(demo_instance.path)
    assert _mode(demo_instance.path / "secret.key") == _mode(demo_instance.path / "gatehouse.db") == 0o600


def _files_commands(instance: Path, target: Path, words: str) -> list[tuple[tuple[str, ...], str]]:
    on = ("--instance", str(instance))
    return [
        (("staff", "add", "vera", "--role", "staff", "--qr-svg", str(target), *on), ""),
        (("keys", "new", "--out", str(target)), "a long offline passphrase\n"),
        (("keys", "export", "ana", "--out", str(target), *on), ""),
        (("audit", "export", "--out", str(target), *on), ""),
        (("kit", "create", "--name", "border-9", "--out", str(target), *on), ""),
        (("bundle", "export", "--for-staff", "ana", "--out", str(target), *on), ""),
        (("backup", "--out", str(target), *on), ""),
        (("backup", "--withdrawals-out", str(target), *on), ""),
    ]


def test_no_command_writes_a_secret_through_a_planted_link_or_over_a_file(demo_instance, team, tmp_path):
    """Another user plants a link (or a file of their own) where a command will write a secret: refused, and
    the planted target is untouched."""
    words = " ".join(demo_instance.recovery_words)
    planted_target = tmp_path / "owned-by-someone-else"
    for number, (arguments, stdin) in enumerate(_files_commands(demo_instance.path, tmp_path / "x", words)):
        link = tmp_path / f"link-{number}"
        planted_target.write_text("theirs")
        link.symlink_to(planted_target)
        linked = tuple(str(link) if argument == str(tmp_path / "x") else argument for argument in arguments)
        result = _gatehouse(*linked, stdin=stdin)
        assert result.returncode != 0, (arguments, result.stdout)
        assert "exists already" in result.stderr and "Traceback" not in result.stderr, (arguments, result.stderr)
        assert planted_target.read_text() == "theirs" and link.is_symlink(), arguments


def test_every_secret_file_a_command_writes_is_owner_only_from_its_first_byte(demo_instance, team, tmp_path):
    words = " ".join(demo_instance.recovery_words)
    for number, (arguments, stdin) in enumerate(_files_commands(demo_instance.path, tmp_path / "x", words)):
        target = tmp_path / f"secret-{number}"
        named = tuple(str(target) if argument == str(tmp_path / "x") else argument for argument in arguments)
        result = _gatehouse(*named, umask=0o000, stdin=stdin)
        assert result.returncode == 0, (arguments, result.stderr)
        assert _mode(target) == 0o600, arguments
