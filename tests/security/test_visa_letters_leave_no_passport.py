"""Visa letters made over real HTTP leave no passport value on the server: not in the register, the log, any
page but the downloaded letters, any file the server wrote (database, WAL, temporary files) or anything it printed.

The passport names and numbers are canaries (tests.security.canaries), searched for in every encoding the disk
scan of tests/test_nothing_readable_on_disk.py checks.
"""

from __future__ import annotations

import re

from app.instance.folder import open_instance
from app.registrations.lifecycle import decide
from tests.conftest import serving
from tests.helpers import dump_database
from tests.security import canaries
from tests.security.visitor import log_in, register, send_follow_up
from tests.staff_fixtures import make_team
from tests.test_nothing_readable_on_disk import _files_under, leaks

REASON = "visa letters for the May forum"


def _approve(instance_path, pseudonyms: list[str]) -> None:
    instance = open_instance(instance_path)
    with instance.connection() as connection:
        for pseudonym in pseudonyms:
            (registration_id,) = connection.execute(
                "SELECT id FROM registrations WHERE pseudonym = ?", (pseudonym,)
            ).fetchone()
            decide(connection, instance.event.id, registration_id, "approved", "ana")


def _database_in_the_clear(instance_path) -> bytes:
    """Every page of the database, decrypted with its key: the register and the log as a thief of both reads them."""
    instance = open_instance(instance_path)
    with instance.connection() as connection:
        return dump_database(connection)


def test_visa_letters_leave_no_passport_value_on_the_server(demo_instance, tmp_path):
    team = make_team(demo_instance.path, demo_instance.recovery_words, {"vera": ("staff", ["visa", "travel"])})
    numbers = range(2)
    passports = [canaries.canary(n, key) for n in numbers for key in ("passport_name", "passport_number")]
    with serving(demo_instance.path, tmp_path) as server:
        participants = [register(server.url, canaries.canary_answers(n)) for n in numbers]
        _approve(demo_instance.path, [p.pseudonym for p in participants])
        for number, participant in zip(numbers, participants, strict=True):
            assert send_follow_up(participant, canaries.follow_up_answers(number)).status == 200
        staff = log_in(server.url, team["vera"])
        pages = [
            staff.get("/staff/letters"),
            staff.post_form("/staff/letters", "/staff/letters", {"reason": REASON}),
        ]
        letters = staff.post_form("/staff/letters", "/staff/letters/make", {"reason": REASON, "language": "en"})
        pages.append(staff.get("/staff/letters"))
        assert letters.status == 200 and "attachment" in letters.headers["content-disposition"][0]
        reference, code = re.search(r'class="verify">(\S+) · <span>([^<]+)<', letters.html).groups()
        number = re.search(r"holder of passport number (\S+),", letters.html).group(1)
        verify = {"verify-reference": reference, "verify-code": code, "verify-passport": number}
        confirmed = staff.post_form("/staff/letters", "/staff/letters/verify", verify, "verify-")
        assert 'id="verdict">Genuine' in confirmed.html
        refused = staff.post_form("/staff/letters", "/staff/letters/verify", {**verify, "verify-code": ""}, "verify-")
        assert refused.status == 400, "a form sent back with its errors does not carry the passport number either"
        pages.append(confirmed)
        assert all(passport in letters.html for passport in passports), "the scan below must be able to find them"
        for page in pages:
            assert not leaks(page.html.encode(), passports)
        assert not leaks(refused.html.encode(), passports)

        files = _files_under(demo_instance.path, server.temp_dir)
        assert any(path.name.endswith("-wal") for path in files), "the scan must see the WAL too"
        for path, blob in files.items():
            assert not leaks(blob, passports), f"{path.name}: {leaks(blob, passports)}"
        assert not leaks(_database_in_the_clear(demo_instance.path), passports), "register and log hold none"
    for path, blob in _files_under(demo_instance.path, server.temp_dir).items():
        assert not leaks(blob, passports), f"{path.name} after stop: {leaks(blob, passports)}"
    assert not leaks(server.printed(), passports)
