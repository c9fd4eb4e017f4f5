"""`gatehouse letters`: make into a new owner-only folder, verify and revoke, run as a person would run them."""

from __future__ import annotations

import stat

import pytest

from tests.letter_fixtures import REASON, scene_in
from tests.staff_fixtures import make_team
from tests.test_staff_cli import gatehouse

ROSTER = {"vera": ("staff", ["visa", "travel"]), "vic": ("staff", ["visa"]), "root": ("admin", [])}


@pytest.fixture
def scene(tmp_path):
    yield from scene_in(tmp_path)


def test_letters_are_written_owner_only_to_a_new_folder_and_verify_until_revoked(scene, tmp_path):
    team = make_team(scene.instance.path, scene.words, ROSTER)
    scene.approve(0)
    instance = ["--instance", str(scene.instance.path)]
    out = tmp_path / "letters"
    make = ["letters", "make", "--as", "vera", "--reason", REASON, "--out", str(out), *instance]
    made = gatehouse(*make, stdin=team["vera"].passphrase + "\n")
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    (letter_file,) = out.iterdir()
    assert stat.S_IMODE(letter_file.stat().st_mode) == 0o600
    assert "Nguyễn Ngọc Như Quỳnh" in letter_file.read_text("utf-8") and "QZX7P0000" in letter_file.read_text("utf-8")
    reference, code = made.stdout.splitlines()[1].split()[:2]
    assert "QZX7P0000" not in made.stdout

    again = gatehouse(*make, "--only", made.stdout.splitlines()[1].split()[2], stdin=team["vera"].passphrase + "\n")
    assert again.returncode == 1 and "exists already" in again.stderr and "Traceback" not in again.stderr

    verify = ["letters", "verify", reference, code, *instance]
    assert gatehouse(*verify, "--passport", "QZX7P0000").returncode == 0
    assert gatehouse(*verify, stdin="QZX7P0000\n").stdout.startswith("GENUINE")
    wrong = gatehouse(*verify, "--passport", "QZX7P0001")
    assert wrong.returncode == 1 and wrong.stdout.startswith("NOT GENUINE")
    revoked = gatehouse("letters", "revoke", reference, "--reason", "issued in error", *instance)
    assert revoked.returncode == 0, revoked.stderr
    assert gatehouse(*verify, "--passport", "QZX7P0000").stdout.startswith("REVOKED")


def test_the_cli_refuses_letters_to_a_reader_without_the_compartments_and_writes_nothing(scene, tmp_path):
    team = make_team(scene.instance.path, scene.words, ROSTER)
    scene.approve(0)
    for username in ("vic", "root"):
        out = tmp_path / username
        refused = gatehouse(
            "letters", "make", "--as", username, "--reason", REASON, "--out", str(out),
            "--instance", str(scene.instance.path), stdin=team[username].passphrase + "\n",
        )  # fmt: skip
        assert refused.returncode == 1 and "needs the" in refused.stderr and "Traceback" not in refused.stderr
        assert not out.exists()
