"""A purge killed at any moment leaves the database whole, the log true to what went, and the next purge finishes.

The purge works in short transactions of retention.BATCH registrations, each logging what it destroyed: a kill
leaves whole batches destroyed and logged, never part of one, and never a data key without its values."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from app.audit import log as audit
from app.instance.folder import open_instance
from app.registrations import retention
from app.registrations.lifecycle import decide
from tests.retention_helpers import PAST_EVENT, new_instance, register_one

RECORDS = 1500
ROUNDS = int(os.environ.get("GATEHOUSE_PURGE_KILL_ROUNDS", "8"))


@pytest.fixture(scope="module")
def full_instance(tmp_path_factory):
    """An instance whose event is long over, holding RECORDS registrations: all of it is due."""
    path = tmp_path_factory.mktemp("purge-kill") / "template"
    instance, _words = new_instance(path, PAST_EVENT)
    connection = instance.connect()
    try:
        for n in range(RECORDS):
            registration_id = register_one(connection, instance)
            if n % 5 == 0:
                decide(connection, instance.event.id, registration_id, "rejected", "ana")
        values = connection.execute("SELECT count(*) FROM field_values").fetchone()[0]
    finally:
        connection.close()
    return path, values


def _purge_process(path, stop_at: str | None = None) -> subprocess.Popen:
    """`gatehouse purge`, or the same purge stopped for good at the step ``stop_at`` (tests/purge_driver.py)."""
    command = ["-m", "app", "purge", "--instance", str(path)] if stop_at is None else ["-m", "tests.purge_driver"]
    return subprocess.Popen(
        [sys.executable, *command, *([str(path), stop_at] if stop_at else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _destroyed_according_to_the_log(connection) -> int:
    return sum(json.loads(e.detail)["destroyed"] for e in audit.entries(connection) if e.action == "purge")


def _check_whole(path, total_values: int) -> int:
    """Integrity, foreign keys, the chain, and the log's count of destroyed values; returns values left."""
    instance = open_instance(path)
    connection = instance.connect()
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert audit.first_broken(audit.entries(connection)) is None
        left = connection.execute("SELECT count(*) FROM field_values").fetchone()[0]
        assert _destroyed_according_to_the_log(connection) == total_values - left
        orphans = connection.execute(
            "SELECT count(*) FROM data_keys WHERE NOT EXISTS (SELECT 1 FROM field_values AS f"
            " WHERE f.registration_id = data_keys.registration_id AND f.data_key_id = data_keys.id)"
        ).fetchone()[0]
        assert orphans == 0, "a purge must never leave a data key without the values it guards, or the reverse"
        return left
    finally:
        connection.close()


def _steps(instance_path) -> list[str]:
    batches = -(-RECORDS // retention.BATCH)
    return ["due", *(f"batch {n}" for n in range(1, batches + 1)), "messages", "letters", "log", "scrub"]


def _purge_again_and_check(copy, total_values: int) -> None:
    instance = open_instance(copy)
    connection = instance.connect()
    try:
        retention.purge(connection, instance.event, retention.purge_day(connection))
    finally:
        connection.close()
    assert _check_whole(copy, total_values) == 0


def test_a_purge_killed_at_each_of_its_steps_leaves_whole_batches_logged_and_the_next_finishes(full_instance, tmp_path):
    """Killed before its first batch, nothing went; between batches, the batches before went and are logged; after
    the last, everything went and is logged."""
    template, total_values = full_instance
    steps = _steps(template)
    for number, step in enumerate(steps):
        copy = tmp_path / f"step-{number}"
        shutil.copytree(template, copy)
        process = _purge_process(copy, stop_at=step)
        assert process.stdout.readline().strip() == f"at {step}", "the purge reports each step as it starts"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL

        left = _check_whole(copy, total_values)
        if step in ("due", "batch 1"):
            assert left == total_values, f"killed at {step!r}"
        elif step.startswith("batch"):
            assert 0 < left < total_values, f"killed at {step!r}"
        else:
            assert left == 0, f"killed at {step!r}"
        _purge_again_and_check(copy, total_values)


def test_a_purge_killed_at_random_moments_leaves_a_whole_database_and_the_next_finishes(full_instance, tmp_path):
    """Kills at moments nobody chose, mid-statement included: whatever they hit, the database stays whole."""
    template, total_values = full_instance
    timing = tmp_path / "timing"
    shutil.copytree(template, timing)
    started = time.monotonic()
    assert _purge_process(timing).wait(timeout=120) == 0
    full_run = time.monotonic() - started

    chance = random.Random(os.environ.get("GATEHOUSE_TEST_SEED"))
    for round_number in range(ROUNDS):
        copy = tmp_path / f"round-{round_number}"
        shutil.copytree(template, copy)
        process = _purge_process(copy)
        time.sleep(chance.uniform(0.2, 0.95) * full_run)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)

        _check_whole(copy, total_values)  # whole batches only, each logged: the log counts exactly what went
        _purge_again_and_check(copy, total_values)
