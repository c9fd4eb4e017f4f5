"""Retention needs nobody to remember it: the server purges at start-up and again every day."""

from __future__ import annotations

import time

from app.instance.folder import open_instance
from app.serving.maintenance import DailyMaintenance, seconds_until_next_run
from tests.conftest import running_server
from tests.retention_helpers import PAST_EVENT, new_instance, register_one, values_by_field


def _instance_with_expired_records(path, count=3):
    instance, _words = new_instance(path, PAST_EVENT)
    connection = instance.connect()
    try:
        for _ in range(count):
            register_one(connection, instance)
        assert values_by_field(connection)
    finally:
        connection.close()
    return instance


def _values_left(instance) -> dict[str, int]:
    connection = open_instance(instance.path).connect()
    try:
        return values_by_field(connection)
    finally:
        connection.close()


def test_the_server_purges_at_start_up(tmp_path):
    instance = _instance_with_expired_records(tmp_path / "instance")
    with running_server(instance.path, tmp_path) as server:
        assert b"Purged 30 expired values (3 whole records) at start-up." in server.printed()
        assert _values_left(instance) == {}


def test_the_daily_timer_purges_without_being_asked(tmp_path):
    instance = _instance_with_expired_records(tmp_path / "instance")
    timer = DailyMaintenance(instance, wait=lambda: 0.05)
    timer.start()
    try:
        deadline = time.monotonic() + 20
        while timer.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        timer.stop()
        timer.join(timeout=20)
    assert timer.runs >= 1 and _values_left(instance) == {}


def test_the_timer_runs_once_a_day_just_after_midnight():
    import datetime

    evening = datetime.datetime(2027, 5, 7, 23, 0, tzinfo=datetime.UTC)
    assert seconds_until_next_run(evening) == 65 * 60
    just_after = datetime.datetime(2027, 5, 8, 0, 6, tzinfo=datetime.UTC)
    assert seconds_until_next_run(just_after) == 24 * 3600 - 60
