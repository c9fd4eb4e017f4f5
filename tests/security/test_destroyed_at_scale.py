"""Anyone, after withdrawals and a purge at the scale of a large event: holding the files, secret.key and the
recovery words, they find no byte of what was destroyed in any decrypted page of the database or its WAL.

10,000 registrations grown through the real path, a tenth of them rejected. With an idle connection holding the
WAL open, as a running server's does, 25 participants withdraw and then a purge a week after the decisions
destroys the rejected ones (1,000 records, in batches: each value zeroed where it stands, in its slot, then the
WAL emptied; no VACUUM runs). Among so many pages, B-tree rebalances would have left older copies of values kept
in ordinary rows in unused parts of pages (`python -m benchmarks.stale_copies`); the search covers every page,
free or not, and every WAL frame."""

from __future__ import annotations

import datetime
import random

import pytest

from app.instance.folder import open_instance
from app.registrations import retention
from app.registrations.lifecycle import find_by_id, withdraw
from app.storage import db
from tests.growing import grow
from tests.retention_helpers import new_instance
from tests.security import scenes
from tests.security.sqlcipher_pages import every_page_decrypted, values_still_in

REGISTRATIONS = 10_000
WITHDRAWN = 25


@pytest.fixture(scope="module")
def large_event(tmp_path_factory):
    path = tmp_path_factory.mktemp("large-event") / "instance"
    instance, _words = new_instance(path)
    grow(instance, 0, REGISTRATIONS)
    return path


def _sealed(connection, where: str, parameters=()) -> list[bytes]:
    """Ciphertexts and sealed data keys of the registrations ``where`` selects, as stored now."""
    of = f"registration_id IN (SELECT id FROM registrations WHERE {where})"
    sealed = []
    for column, table in (("ciphertext", "field_values"), ("sealed_data_key", "data_keys")):
        sealed += [row[0] for row in connection.execute(f"SELECT {column} FROM {table} WHERE {of}", parameters)]  # noqa: S608
    return sealed


def _no_vacuum(connection):
    raise AssertionError("a VACUUM ran: the destruction must not need one")


def test_at_ten_thousand_registrations_nothing_withdrawn_or_purged_is_left_in_any_page(
    large_event, tmp_path, monkeypatch
):
    instance = open_instance(large_event)
    holder = instance.connect()  # like a running server's idle connection: the WAL stays open
    holder.execute("SELECT count(*) FROM registrations").fetchone()
    connection = instance.connect()
    try:
        kept_ids = [row[0] for row in connection.execute("SELECT id FROM registrations WHERE status != 'rejected'")]
        withdrawing = random.Random(7).sample(kept_ids, WITHDRAWN)
        chosen = f"id IN ({', '.join('?' * WITHDRAWN)})"
        doomed = _sealed(connection, chosen, withdrawing) + _sealed(connection, "status = 'rejected'")
        kept = _sealed(connection, f"status != 'rejected' AND NOT {chosen}", withdrawing)[::97]
        earlier = scenes.copy_database_files(large_event, tmp_path / "earlier", with_key_file=True)
        # No VACUUM has run since the instance was made; none may run now. The mark set-up leaves (for what earlier
        # versions deleted) is cleared without one, so that the purge does not rewrite the file for it.
        with db.transaction(connection):
            connection.execute("DELETE FROM scrub_pending")
        monkeypatch.setattr(db, "scrub", _no_vacuum)

        for registration_id in withdrawing:
            withdraw(connection, find_by_id(connection, registration_id))
        week_after_the_decisions = datetime.date.today() + datetime.timedelta(days=8)
        report = retention.purge(connection, instance.event, week_after_the_decisions)
        assert report.records == REGISTRATIONS // 10
        stolen = scenes.copy_database_files(large_event, tmp_path / "stolen", with_key_file=True)
    finally:
        connection.close()
        holder.close()

    key = instance.secrets.database_key
    before, after = every_page_decrypted(earlier, key), every_page_decrypted(stolen, key)
    assert len(doomed) > 14_000 and values_still_in(doomed, before) == doomed, "the search finds what was there"
    assert values_still_in(kept, after) == kept, "the search finds what is still there"
    left = values_still_in(doomed, after)
    assert left == [], f"{len(left)} withdrawn or purged values still have bytes in a page"
