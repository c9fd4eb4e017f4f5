"""Server seized while running: the attacker holds a memory image of the live process and copies of its files.

The server holds compartment public keys only, so what it wrote it cannot read back; a staff
session open at that moment exposes that person's compartments. Plaintext of recent requests may
linger in memory: it is measured here, and SECURITY.md states the figure.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import crypto
from app.instance.folder import open_instance
from app.registrations.records import load_all_records, open_record
from app.serving.memory_hardening import GLIBC_TUNABLES, hardened_environment
from app.storage import db
from app.web.state import state_of
from tests.conftest import running_server
from tests.helpers import dump_database
from tests.security import canaries, visitor
from tests.security.known_keys import KnownKeys, known_keys
from tests.security.memory import MemoryImage, read_process_memory, text_forms, x25519_forms

RECENT = 50  # registrations made just before the memory is read
LATER = 200  # registrations made after them, before a second reading
SECURITY_MD = Path(__file__).resolve().parents[2] / "SECURITY.md"


def _keys_found(image: MemoryImage, keys: dict) -> set:
    return {name for name, key in keys.items() if any(image.holds(form) for form in x25519_forms(key))}


def _passphrases_found(image: MemoryImage, keys: KnownKeys) -> set[str]:
    return {name for name, text in keys.staff_passphrases.items() if any(image.holds(f) for f in text_forms(text))}


def _staff_work(url: str, team) -> None:
    """A morning of staff work: logins, openings, an export, a grant, logouts."""
    ana = visitor.log_in(url, team["ana"])
    for registration_id in visitor.registration_ids(ana)[:3]:
        assert visitor.open_record(ana, registration_id, "checking badges").status == 200
    assert ana.post_form("/staff/", "/staff/export", {"reason": "badge printing"}).status == 200
    granted = ana.post_form(
        "/staff/grants", "/staff/grants", {"grant-compartment": "contact", "grant-username": "otto"}, prefix="grant-"
    )
    assert "Granted" in granted.html
    visitor.log_out(ana)
    otto = visitor.log_in(url, team["otto"])
    assert otto.post_form("/staff/", "/staff/export", {"reason": "catering"}).status == 200
    visitor.log_out(otto)


def _every_data_key(database: Path, keys: KnownKeys) -> list[bytes]:
    """Every record's data keys, unsealed by the test with the compartment keys from the recovery words."""
    connection = db.connect(database, keys.database_key)
    try:
        rows = connection.execute("SELECT compartment, key_generation, sealed_data_key FROM data_keys").fetchall()
    finally:
        connection.close()
    return [
        crypto.open_sealed(crypto.PrivateKey(keys.compartment_keys[(compartment, generation)]), sealed)
        for compartment, generation, sealed in rows
    ]


def _copy_files(instance_path: Path, destination: Path) -> Path:
    destination.mkdir()
    for name in (db.DATABASE_FILE, f"{db.DATABASE_FILE}-wal", f"{db.DATABASE_FILE}-shm"):
        if (instance_path / name).exists():
            shutil.copy(instance_path / name, destination / name)
    return destination / db.DATABASE_FILE


@pytest.mark.usefixtures("process_memory_readable")
def test_server_seized_while_running_with_no_staff_session_holds_no_key_that_opens_the_records(
    demo_instance, team, tmp_path
):
    with running_server(demo_instance.path, tmp_path) as server:
        for number in range(3):
            visitor.register(server.url, canaries.canary_answers(number))
        # Earlier the same day, staff worked on this very process: every session has ended since.
        _staff_work(server.url, team)
        for number in range(3, 3 + RECENT):
            visitor.register(server.url, canaries.canary_answers(number))
        image = read_process_memory(server.process.pid)
        copied = _copy_files(demo_instance.path, tmp_path / "copied")
    keys = known_keys(demo_instance.path, demo_instance.recovery_words, team)

    # The image covers the heap: the one secret the server must hold to work is in it.
    assert image.holds(keys.database_key)
    assert _keys_found(image, keys.compartment_keys) == set(), "a compartment private key is in server memory"
    assert _keys_found(image, keys.staff_keys) == set(), "a staff private key is in server memory"
    assert _keys_found(image, {"recovery": keys.recovery_key}) == set()
    assert _passphrases_found(image, keys) == set(), "a staff passphrase is in server memory"
    # Nor the data key of any record, including the 50 just sealed (the test opens them with the recovery key).
    data_keys = _every_data_key(copied, keys)
    assert len(data_keys) >= 4 * (3 + RECENT)  # identity, contact, needs, safety: one data key each
    assert [key for key in data_keys if image.holds(key)] == [], "a record's data key is in server memory"

    # The attacker takes the database key from the image and opens the copied files with it: rows, but sealed.
    offset = image.offset_of(keys.database_key)
    connection = db.connect(copied, image.data[offset : offset + 32])
    try:
        event_id = open_instance(demo_instance.path).event.id
        records = list(load_all_records(connection, event_id))
        dumped = dump_database(connection)
    finally:
        connection.close()
    assert len(records) == 3 + RECENT
    assert all(open_record(event_id, record, {}) == {} for record in records)
    assert not [value for value in canaries.all_canaries(range(3 + RECENT)) if value.encode() in dumped]


def _message_secrets(database: Path, keys: KnownKeys, codenames: list[str]) -> tuple[dict, list[bytes]]:
    """Each participant's private key (derived by the test from the codename and the stored salt), and every
    message's own key, unsealed by the test with the compartment keys from the recovery words."""
    connection = db.connect(database, keys.database_key)
    try:
        stored = connection.execute("SELECT message_salt, message_public_key FROM registrations").fetchall()
        rows = connection.execute("SELECT compartment, key_generation, key_for_compartment FROM messages").fetchall()
    finally:
        connection.close()
    participant_keys = {}
    for codename in codenames:
        for salt, public_key in stored:
            derived = crypto.participant_key(codename, salt)
            if bytes(derived.public_key) == public_key:
                participant_keys[codename] = bytes(derived)
    assert len(participant_keys) == len(codenames), "each codename derives the key its registration stored"
    message_keys = [
        crypto.open_sealed(crypto.PrivateKey(keys.compartment_keys[(compartment, generation)]), sealed)
        for compartment, generation, sealed in rows
    ]
    return participant_keys, message_keys


@pytest.mark.usefixtures("process_memory_readable")
def test_server_seized_while_running_holds_no_participant_key_nor_message_key_nor_message(
    demo_instance, team, tmp_path
):
    with running_server(demo_instance.path, tmp_path) as server:
        participants = [visitor.register(server.url, canaries.canary_answers(number)) for number in range(3)]
        ana = visitor.log_in(server.url, team["ana"])
        for number, participant in enumerate(participants):
            registration_id = visitor.registration_id_of(ana, participant.pseudonym)
            assert visitor.send_message(ana, registration_id, canaries.canary(number, "message")).status == 303
        visitor.log_out(ana)
        for number, participant in enumerate(participants):
            assert canaries.canary(number, "message") in visitor.status(participant).html
            assert visitor.answer(participant, canaries.canary(number, "answer")).status == 200
        image = read_process_memory(server.process.pid)
        copied = _copy_files(demo_instance.path, tmp_path / "copied")
    keys = known_keys(demo_instance.path, demo_instance.recovery_words, team)
    participant_keys, message_keys = _message_secrets(copied, keys, [p.codename for p in participants])

    assert image.holds(keys.database_key), "the image covers the heap"
    assert len(message_keys) == 6
    assert _keys_found(image, participant_keys) == set(), "a participant's private key outlived its request"
    assert [key for key in message_keys if image.holds(key)] == [], "a message's key is in server memory"
    connection = db.connect(copied, keys.database_key)
    try:
        dumped = dump_database(connection)
    finally:
        connection.close()
    written = [canaries.canary(n, kind) for n in range(3) for kind in canaries.MESSAGE_TAGS]
    assert not [value for value in written if value.encode() in dumped], "a message is readable from the files"
    lingering = {(number, tag) for number, tag in canaries.found_in(image.data) if tag in ("MESG", "ANSW")}
    print(
        f"\nMESSAGES IN MEMORY: {len(lingering)} of 6 message and answer texts found in the image: {sorted(lingering)}"
    )


@pytest.mark.usefixtures("process_memory_readable")
def test_server_seized_while_running_with_a_staff_session_open_exposes_that_persons_compartments_only(
    demo_instance, team, tmp_path
):
    with running_server(demo_instance.path, tmp_path) as server:
        for number in range(5):
            visitor.register(server.url, canaries.canary_answers(number))
        ana = visitor.log_in(server.url, team["ana"])  # holds identity, contact and needs
        visitor.open_record(ana, visitor.registration_ids(ana)[0], "checking a badge")
        image = read_process_memory(server.process.pid)
    keys = known_keys(demo_instance.path, demo_instance.recovery_words, team)
    exposed = {compartment for compartment, _generation in _keys_found(image, keys.compartment_keys)}
    print(f"\nWith ana's session open: compartment keys in memory: {sorted(exposed)}; ana's staff key"
          f" {'found' if _keys_found(image, keys.staff_keys) else 'not found'}")  # fmt: skip
    assert exposed == {"identity", "contact", "needs"}
    assert _keys_found(image, {k: v for k, v in keys.staff_keys.items() if k != "ana"}) == set()


def _measured(image: MemoryImage, numbers: range) -> tuple[int, int, list[int]]:
    """(registrations with at least one value found, values found, which registrations) among ``numbers``."""
    found = {(number, tag) for number, tag in canaries.found_in(image.data) if number in numbers}
    which = sorted({number for number, _tag in found})
    return len(which), len(found), which


def _stated_bounds() -> tuple[int, int]:
    """The figures SECURITY.md gives as the most that a memory image was found to hold."""
    text = SECURITY_MD.read_text("utf-8")
    match = re.search(r"at most (\d+) of the last 50 registrations.*?at most (\d+) of them", text, re.DOTALL)
    assert match, "SECURITY.md must state the measured memory figure"
    return int(match.group(1)), int(match.group(2))


@pytest.mark.usefixtures("process_memory_readable")
def test_server_seized_while_running_plaintext_of_recent_registrations_in_memory_is_measured(demo_instance, tmp_path):
    recent = range(RECENT)
    with running_server(demo_instance.path, tmp_path) as server:
        for number in recent:
            visitor.register(server.url, canaries.canary_answers(number))
        just_after = _measured(read_process_memory(server.process.pid), recent)
        for number in range(RECENT, RECENT + LATER):
            visitor.register(server.url, canaries.canary_answers(number))
        later = _measured(read_process_memory(server.process.pid), recent)
    print(
        f"\nMEMORY FIGURE: of the last {RECENT} registrations ({RECENT * len(canaries.FIELD_TAGS)} free-text values),"
        f" {just_after[0]} had at least one value in the memory image"
        f" ({just_after[1]} values; numbers {just_after[2]});"
        f" after {LATER} more registrations, {later[0]} of those {RECENT} ({later[1]} values; numbers {later[2]})."
    )
    recent_bound, later_bound = _stated_bounds()
    assert just_after[0] <= recent_bound, "more lingers in memory than SECURITY.md says: measure again and restate it"
    assert later[0] <= later_bound, "more lingers in memory than SECURITY.md says: measure again and restate it"


@pytest.mark.usefixtures("process_memory_readable")
def test_server_seized_while_running_finds_a_process_that_overwrites_the_memory_it_frees(demo_instance, tmp_path):
    """What makes ended sessions and earlier registrations leave nothing: `gatehouse serve` restarts itself
    with Python's allocations going to glibc's malloc, which overwrites each block it frees."""
    with running_server(demo_instance.path, tmp_path) as server:
        environment = dict(
            entry.split("=", 1)
            for entry in Path(f"/proc/{server.process.pid}/environ").read_text().split("\0")
            if "=" in entry
        )
        libraries = Path(f"/proc/{server.process.pid}/maps").read_text()
    assert environment["PYTHONMALLOC"] == "malloc"
    # glibc rewrites the variable in place as it reads it; the figures measured above show both took effect.
    assert environment["GLIBC_TUNABLES"].startswith("glibc.malloc.perturb=85")
    assert "libc.so.6" in libraries


def test_memory_hardening_keeps_other_tunables_and_an_operators_own_choice():
    assert hardened_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})["GLIBC_TUNABLES"] == (
        "glibc.malloc.arena_max=2:" + GLIBC_TUNABLES
    )
    assert hardened_environment({"PYTHONMALLOC": "pymalloc"}) is None, "an operator's explicit choice is kept"
    assert hardened_environment(hardened_environment({})) is None, "it restarts once, not forever"


def test_memory_hardening_restarts_only_a_process_started_to_serve(monkeypatch):
    """The real restart is shown above, on the running server; here, that nothing else is ever replaced."""
    import sys

    from app.serving import memory_hardening

    restarts = []
    monkeypatch.setattr(os, "execve", lambda *arguments: restarts.append(arguments))
    monkeypatch.delenv("PYTHONMALLOC", raising=False)
    memory_hardening.restart_hardened()  # this test runner
    assert restarts == []
    monkeypatch.setattr(sys, "orig_argv", ["python3", "-m", "app", "serve", "--port", "8080"])
    memory_hardening.restart_hardened()
    ((executable, arguments, environment),) = restarts
    assert executable == sys.executable and arguments == [sys.executable, "-m", "app", "serve", "--port", "8080"]
    assert environment["PYTHONMALLOC"] == "malloc"


def test_the_memory_search_finds_keys_and_values_in_every_form_they_take():
    key = bytes(range(1, 33))
    value = canaries.canary(7, "full_name")
    for form in x25519_forms(key):
        assert _keys_found(MemoryImage(b"\x00" * 64 + form + b"\xff" * 9, 1), {"k": key}) == {"k"}
    for encoding in ("latin-1", "utf-16-le", "utf-32-le"):
        image = MemoryImage(b"junk" + value.encode(encoding) + b"junk", 1)
        assert canaries.found_in(image.data) == {(7, "NAME")}
    assert not _keys_found(MemoryImage(key[:31] + b"\x00", 1), {"k": key})


def test_server_seized_while_running_after_a_staff_session_was_abandoned_holds_none_of_its_keys(demo_instance, team):
    """Someone walks away without logging out and no staff request follows: the keys must still go at expiry."""
    import time

    from app.web.application import create_app
    from tests.staff_fixtures import login

    app = create_app({"INSTANCE_DIR": demo_instance.path, "STAFF_IDLE_SECONDS": 0.5})
    client = app.test_client()
    assert login(client, team["ana"]).status_code == 303
    store = state_of(app).sessions
    session = store.get(client.get_cookie("gatehouse_staff", path="/staff").value)
    assert session is not None and session.compartments() == ["contact", "identity", "needs"]
    time.sleep(1.5)  # idle, and nobody asks the server anything
    assert session.keys == {}, "the abandoned session still holds its compartment keys"
