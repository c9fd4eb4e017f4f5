"""The server killed with SIGKILL at random moments while participants register and withdraw, again and again.

What must hold after each kill, in the file as the kill left it: every registration the server
acknowledged (its whole 200 receipt arrived) is stored once and opens with the values sent;
every confirmed withdrawal is gone, with its audit entry; whatever was in flight at the kill
happened wholly or not at all; the file passes SQLite's and SQLCipher's page checks; the audit
chain verifies. After each restart, every form in flight is sent again, as a participant
presses reload: it gets the receipt of the record already made, or makes one new record.

Knobs (environment): GATEHOUSE_CRASH_ROUNDS (default 20), GATEHOUSE_CRASH_CLIENTS (default 20),
GATEHOUSE_CRASH_RECEIPTS (most receipts before a kill, default 40), GATEHOUSE_CRASH_SEED (the
kill schedule is drawn from it; a failure names the seed).
"""

from __future__ import annotations

import os
import random
import secrets
import time

from app.instance.folder import open_instance
from tests.conftest import running_server
from tests.load import driver
from tests.load.stored import check_stored, database_health

ROUNDS = int(os.environ.get("GATEHOUSE_CRASH_ROUNDS", "20"))
CLIENTS = int(os.environ.get("GATEHOUSE_CRASH_CLIENTS", "20"))
RECEIPTS_BEFORE_KILL = int(os.environ.get("GATEHOUSE_CRASH_RECEIPTS", "40"))
SEED = int(os.environ.get("GATEHOUSE_CRASH_SEED") or secrets.randbits(32))
TRAFFIC = driver.Traffic(clients=CLIENTS, twice_one_in=5, withdraw_one_in=4, stop_at_connection_error=True)


def test_registrations_survive_the_server_killed_at_random_moments(demo_instance, tmp_path):
    event = open_instance(demo_instance.path).event
    schedule = random.Random(SEED)  # noqa: S311 - kill times, reproducible from the seed
    told = driver.Ledger()  # everything every participant was told, over all rounds
    stored_when_killed: dict[str, str] = {}  # unanswered form -> pseudonym, when the kill came after its commit
    where = f"(GATEHOUSE_CRASH_SEED={SEED})"
    in_flight_at_kills = committed_before_answer = 0

    for round_number in range(ROUNDS + 1):
        folder = tmp_path / f"round-{round_number}"
        folder.mkdir()
        with running_server(demo_instance.path, folder) as server:
            # Reload after the restart: the same form gets the same receipt, and never makes a second record.
            resent, failures = driver.resend(server.url, told.in_flight)
            assert failures == [], f"round {round_number}: {failures[:3]} {where}"
            for ack in resent:
                assert stored_when_killed.get(ack.submission.token) in (None, ack.pseudonym), (
                    f"round {round_number}: a form stored before the kill got another name when resent {where}"
                )
            # A form long since answered, sent again after a restart, is still recognised.
            withdrawn = {ack.submission.token for ack in told.withdrawn + told.withdrawals_in_flight}
            kept = [ack.submission for ack in told.acknowledged if ack.submission.token not in withdrawn]
            answered = schedule.sample(kept, min(3, len(kept)))
            again, failures_again = driver.resend(server.url, answered)
            assert failures_again == [], f"round {round_number}: {failures_again[:3]} {where}"
            assert driver.withdraw_again(server.url, told.withdrawals_in_flight) == [], f"round {round_number} {where}"
            told.acknowledged += resent + again
            told.withdrawn += told.withdrawals_in_flight  # done now, or before the kill (then a 400: not found)
            told.in_flight, told.withdrawals_in_flight = [], []
            if round_number == ROUNDS:
                break

            run = driver.start(server.url, event, TRAFFIC)
            # The kill comes after a random number of receipts, then a random fraction of a second,
            # so that it falls while requests are parsed, sealed, committed, scrubbed or answered.
            assert run.outcome.wait_for_acknowledged(schedule.randint(1, RECEIPTS_BEFORE_KILL), timeout=120)
            time.sleep(schedule.uniform(0, 0.5))
            server.process.kill()  # SIGKILL: no handler runs, nothing is flushed
            server.process.wait()
            outcome = run.finish()
        assert outcome.failures == [], f"round {round_number}: {outcome.failures[:3]} {where}"
        told.add(outcome)
        in_flight_at_kills += len(outcome.in_flight) + len(outcome.withdrawals_in_flight)

        # The file as the kill left it, before a restart touches it.
        assert database_health(demo_instance.path) == [], f"round {round_number} {where}"
        findings = check_stored(demo_instance.path, demo_instance.recovery_words, told)
        assert findings.problems == [], f"round {round_number} {where}: {findings.summary()}"
        stored_when_killed = findings.unanswered_stored
        committed_before_answer += len(stored_when_killed)

    findings = check_stored(demo_instance.path, demo_instance.recovery_words, told)
    assert findings.problems == [], f"{where}: {findings.summary()}"
    assert findings.records == findings.acknowledged_forms - findings.withdrawn
    assert findings.acknowledged_forms >= ROUNDS  # each round ran until at least one receipt
    assert database_health(demo_instance.path) == [], where
    print(
        f"\n{ROUNDS} kills {where}: {findings.acknowledged_forms} registrations acknowledged,"
        f" {findings.withdrawn} withdrawn, {findings.records} stored; {in_flight_at_kills} requests in flight"
        f" at a kill, {committed_before_answer} of them registrations committed before their answer was cut"
    )
