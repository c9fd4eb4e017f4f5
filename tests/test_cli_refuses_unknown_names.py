"""Every command given a compartment, staff member, kit or instance folder that does not exist: a non-zero exit,
one sentence, no traceback, and nothing written (not even an audit entry)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.instance.folder import opened
from tests.helpers import dump_database

STAFF_WORDS = "not the words\n"


def _contents(path) -> bytes:
    with opened(path) as (_instance, connection):
        return dump_database(connection)


def _gatehouse(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments], input=STAFF_WORDS, capture_output=True, text=True, timeout=60
    )


def _refused_in_one_sentence(result: subprocess.CompletedProcess, arguments: tuple[str, ...]) -> str:
    assert result.returncode != 0, (arguments, result.stdout)
    assert "Traceback" not in result.stderr, (arguments, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), (arguments, result.stderr)
    return lines[0]


UNKNOWN_NAMES = [
    (("grant", "--compartment", "nosuch", "--to", "otto", "--recovery"), "no compartment named nosuch"),
    (("grant", "--compartment", "needs", "--to", "nobody", "--recovery"), "no active account named nobody"),
    (("grant", "--compartment", "needs", "--to", "otto", "--from", "nobody"), "nobody is not an active account"),
    (("revoke", "--compartment", "nosuch", "--from", "ana"), "no compartment named nosuch"),
    (("revoke", "--compartment", "nosuch", "--from", "ana", "--rotate"), "no compartment named nosuch"),
    (("revoke", "--compartment", "needs", "--from", "nobody"), "no account named nobody"),
    (("revoke", "--compartment", "needs", "--from", "nobody", "--rotate"), "no account named nobody"),
    (("staff", "disable", "nobody"), "no account named nobody"),
    (("keys", "export", "nobody", "--out", "{tmp}/nobody.key"), "nobody is not an active account"),
    (("kit", "revoke", "nosuch"), "no kit named nosuch"),
    (("checkin", "list", "--kit", "nosuch", "--out", "{tmp}/nobody.ghb"), "no kit named nosuch"),
    (("checkin", "reissue", "Nobody Here 00"), "no registration with that pseudonym"),
    (("bundle", "export", "--for-staff", "nobody", "--out", "{tmp}/nobody.ghb"), "nobody"),
]


@pytest.mark.parametrize(("arguments", "sentence"), UNKNOWN_NAMES, ids=[" ".join(a[:3]) for a, _ in UNKNOWN_NAMES])
def test_an_unknown_name_is_refused_in_one_sentence_and_writes_nothing(
    demo_instance, team, tmp_path, arguments, sentence
):
    before = _contents(demo_instance.path)
    arguments = tuple(argument.replace("{tmp}", str(tmp_path)) for argument in arguments)
    result = _gatehouse(*arguments, "--instance", str(demo_instance.path))
    assert sentence in _refused_in_one_sentence(result, arguments)
    assert _contents(demo_instance.path) == before, "a refused command changes nothing, not even the log"
    assert not list(tmp_path.glob("nobody*")), "no file is written"


COMMANDS_ON_AN_INSTANCE = [
    ("staff", "add", "kim", "--role", "staff"),
    ("staff", "list"),
    ("staff", "disable", "ana"),
    ("grant", "--compartment", "needs", "--to", "otto", "--recovery"),
    ("revoke", "--compartment", "needs", "--from", "otto"),
    ("keys", "export", "ana", "--out", "{tmp}/ana.key"),
    ("invite", "new", "--expires", "2099-01-01"),
    ("purge",),
    ("purge", "--dry-run"),
    ("wipe", "--confirm", "stockholm-forum-2027"),
    ("audit", "public-key"),
    ("audit", "export", "--out", "{tmp}/log.ghb"),
    ("kit", "create", "--name", "border-1", "--out", "{tmp}/border-1.kit"),
    ("kit", "list"),
    ("kit", "revoke", "border-1"),
    ("bundle", "export", "--for-staff", "ana", "--out", "{tmp}/ana.ghb"),
    ("bundle", "import", "{tmp}/missing.ghb"),
    ("backup", "--out", "{tmp}/b.ghb"),
    ("backup", "--withdrawals-out", "{tmp}/w.ghb"),
    ("serve", "--port", "1"),
]


@pytest.mark.parametrize("arguments", COMMANDS_ON_AN_INSTANCE, ids=[" ".join(a[:2]) for a in COMMANDS_ON_AN_INSTANCE])
def test_a_folder_with_no_instance_is_named_in_one_sentence_and_nothing_is_made(tmp_path, arguments):
    folder = tmp_path / "no-instance-here"
    arguments = tuple(argument.replace("{tmp}", str(tmp_path)) for argument in arguments)
    result = _gatehouse(*arguments, "--instance", str(folder))
    assert f"no Gatehouse instance in {folder}" in _refused_in_one_sentence(result, arguments)
    assert not folder.exists(), "nothing is created in the folder named"
    assert sorted(path.name for path in tmp_path.iterdir()) == [], "no file is written anywhere"
