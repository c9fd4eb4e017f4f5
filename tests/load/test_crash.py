"""The server killed with SIGKILL at random moments while participants register, again and again.

What must hold after each kill: every registration the server acknowledged (its whole 200
receipt arrived) is stored once and opens with the values sent; a form in flight at the kill
is stored whole or not at all; the file passes SQLite's and SQLCipher's page checks; the audit
chain verifies. After each restart, every form in flight is sent again, as a participant
presses reload: it gets the receipt of the record already made, or one new record.

Knobs (environment): GATEHOUSE_CRASH_ROUNDS (default 20), GATEHOUSE_CRASH_CLIENTS (default 20),
GATEHOUSE_CRASH_RECEIPTS (most receipts before a kill, default 40), GATEHOUSE_CRASH_SEED
(kill times are drawn from it; a failure names the seed that reproduces its schedule).
"""

from __future__ import annotations

import os
import random
import secrets
import time

from app.instance import open_instance
from tests.conftest import running_server
from tests.load import driver
from tests.load.stored import check_stored, database_health

ROUNDS = int(os.environ.get("GATEHOUSE_CRASH_ROUNDS", "20"))
CLIENTS = int(os.environ.get("GATEHOUSE_CRASH_CLIENTS", "20"))
RECEIPTS_BEFORE_KILL = int(os.environ.get("GATEHOUSE_CRASH_RECEIPTS", "40"))
SEED = int(os.environ.get("GATEHOUSE_CRASH_SEED") or secrets.randbits(32))


def test_registrations_survive_the_server_killed_at_random_moments(demo_instance, tmp_path):
    event = open_instance(demo_instance.path).event
    schedule = random.Random(SEED)  # noqa: S311 - kill times, reproducible from the seed
    acknowledged: list[driver.Acknowledged] = []
    unanswered: list[driver.Submission] = []  # sent before a kill, answer never complete
    stored_before_retry: dict[str, str] = {}  # unanswered form -> pseudonym, when the kill came after the commit
    where = f"(GATEHOUSE_CRASH_SEED={SEED})"
    in_flight_at_kills = committed_before_kills = 0

    for round_number in range(ROUNDS + 1):
        folder = tmp_path / f"round-{round_number}"
        folder.mkdir()
        with running_server(demo_instance.path, folder) as server:
            # The reload after the restart: the same form, the same receipt, and never a second record.
            retried, failures = driver.retry(server.url, unanswered)
            assert failures == [], f"round {round_number}: a resent form failed {where}"
            for ack in retried:
                expected = stored_before_retry.get(ack.submission.token)
                assert expected in (None, ack.pseudonym), (
                    f"round {round_number}: a resent form got another name {where}"
                )
            acknowledged += retried
            unanswered = []
            if acknowledged:  # and a form long since answered, sent again after the restart
                answered = [ack.submission for ack in schedule.sample(acknowledged, min(3, len(acknowledged)))]
                again, failures = driver.retry(server.url, answered)
                assert failures == [], f"round {round_number}: resending an answered form failed {where}"
                acknowledged += again
            if round_number == ROUNDS:
                break

            run = driver.start(server.url, event, clients=CLIENTS, stop_at_connection_error=True, twice_every=7)
            # The kill comes after a random number of receipts, then a random fraction of a second,
            # so that it falls while requests are being parsed, sealed, committed or answered.
            assert run.outcome.wait_for_acknowledged(schedule.randint(1, RECEIPTS_BEFORE_KILL), timeout=120)
            time.sleep(schedule.uniform(0, 0.5))
            server.process.kill()  # SIGKILL: no handler runs, nothing is flushed
            server.process.wait()
            outcome = run.finish()
        assert outcome.failures == [], f"round {round_number}: {outcome.failures[:3]} {where}"
        acknowledged += outcome.acknowledged
        unanswered = outcome.in_flight

        # The file as the kill left it, before any restart touches it.
        assert database_health(demo_instance.path) == [], f"round {round_number} {where}"
        findings = check_stored(demo_instance.path, demo_instance.recovery_words, acknowledged, unanswered)
        assert findings.problems == [], f"round {round_number} {where}"
        stored_before_retry = findings.unanswered_stored
        in_flight_at_kills += len({submission.token for submission in unanswered})
        committed_before_kills += len(stored_before_retry)

    findings = check_stored(demo_instance.path, demo_instance.recovery_words, acknowledged)
    assert findings.problems == [], where
    assert findings.records == findings.acknowledged_forms >= ROUNDS  # each round ran until a receipt at least
    assert database_health(demo_instance.path) == [], where
    print(
        f"\n{ROUNDS} kills {where}: {findings.records} registrations stored and acknowledged;"
        f" {in_flight_at_kills} forms in flight at a kill, {committed_before_kills} of them committed before it"
    )
