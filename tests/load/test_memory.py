"""The server's resident memory while it takes thousands of registrations: under 150 MB, and not climbing
fast enough to pass 150 MB by 10,000.

`python -m benchmarks.memory` prints the figure after 10,000 registrations; this test runs a
shorter load (GATEHOUSE_MEMORY_REGISTRATIONS, default 2000) and asserts what it can of the same bound.
"""

from __future__ import annotations

import os

from app.instance.folder import open_instance
from tests.conftest import running_server
from tests.load import driver
from tests.load.process_memory import MB, resident_memory

REGISTRATIONS = int(os.environ.get("GATEHOUSE_MEMORY_REGISTRATIONS", "2000"))
CLIENTS = 50
BOUND_BYTES = 150 * MB
BOUND_AFTER = 10_000  # registrations


def test_server_memory_stays_under_150_mb_while_taking_registrations(demo_instance, tmp_path):
    event = open_instance(demo_instance.path).event
    warm_up = max(CLIENTS, REGISTRATIONS // 10)
    with running_server(demo_instance.path, tmp_path) as server:
        # Caches, templates and allocator arenas fill during the first registrations: growth is counted after them.
        warmed = driver.start(server.url, event, driver.Traffic(CLIENTS, registrations=warm_up)).wait()
        after_warm_up = resident_memory(server.process.pid)
        outcome = driver.start(server.url, event, driver.Traffic(CLIENTS, registrations=REGISTRATIONS - warm_up)).wait()
        after = resident_memory(server.process.pid)

    assert warmed.failures == outcome.failures == []
    assert after.hwm_bytes < BOUND_BYTES, after.describe()
    growth_per_registration = max(0, after.rss_bytes - after_warm_up.rss_bytes) / (REGISTRATIONS - warm_up)
    projected = after.rss_bytes + growth_per_registration * (BOUND_AFTER - REGISTRATIONS)
    assert projected < BOUND_BYTES, (
        f"{after.describe()}; growing {growth_per_registration:.0f} bytes a registration,"
        f" {projected / MB:.0f} MB after {BOUND_AFTER}"
    )
