"""The staff list at 1,000, 10,000 and 50,000 registrations: bytes and milliseconds of its first page, its last
page and a page filtered by status, against 50 KB and 100 ms; and the review queue of 20, against 60 KB.

One instance of the demo event grows through the real path (app.registrations.register.register, real sealing)
to each size in turn; some registrations are decided (approved up to a tenth of the capacity, a tenth waitlisted,
a twentieth rejected). At each size a staff member logs in through the login page and each list page is fetched
several times through the Flask test client; the figure is the median. The queue is opened once, with a reason,
by a reader holding every compartment (the largest table anyone sees), and its open table fetched as the list is:
each fetch decrypts its twenty records again.

Run:  python -m benchmarks.staff_pages [--sizes 1000,10000,50000] [--fetches 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import crypto
from app.instance.folder import Instance
from app.registrations.lifecycle import decide
from app.registrations.register import register
from app.web.application import create_app
from benchmarks.sample import ANSWERS
from tests.helpers import hidden_fields
from tests.retention_helpers import new_instance
from tests.staff_fixtures import login, make_team

SIZES = (1_000, 10_000, 50_000)
PAGE_BUDGET_BYTES = 50 * 1024
PAGE_BUDGET_MS = 100.0
QUEUE_BUDGET_BYTES = 60 * 1024
PAGES = ("first page", "last page", "waitlisted, first page")
QUEUE = "review queue of 20"


def grow(instance: Instance, to: int) -> None:
    """Register until the event holds ``to`` registrations; decide a share of the new ones."""
    connection = instance.connect()
    try:
        held = connection.execute("SELECT count(*) FROM registrations").fetchone()[0]
        approved = connection.execute("SELECT count(*) FROM registrations WHERE status = 'approved'").fetchone()[0]
        for number in range(held, to):
            receipt = register(connection, instance, crypto.new_submission_token(), ANSWERS)
            decision = None
            if number % 10 == 3:
                decision = "waitlisted"
            elif number % 20 == 7:
                decision = "rejected"
            elif number % 20 == 11 and approved < (instance.event.capacity or 0) // 10:
                decision, approved = "approved", approved + 1
            if decision:
                (registration_id,) = connection.execute(
                    "SELECT id FROM registrations WHERE pseudonym = ?", (receipt.pseudonym,)
                ).fetchone()
                decide(connection, instance.event.id, registration_id, decision, "benchmark", instance.event.capacity)
    finally:
        connection.close()


def _timed(client, path: str, fetches: int) -> tuple[int, float]:
    """(bytes, median milliseconds) of a page fetched ``fetches`` times; every fetch must answer 200."""
    sizes, times = set(), []
    for _ in range(fetches):
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        sizes.add(len(body))
    return max(sizes), statistics.median(times)


def measure(sizes: Sequence[int] = SIZES, fetches: int = 7) -> dict[int, dict[str, tuple[int, float]]]:
    """Per size, per list page: (bytes, median ms)."""
    results: dict[int, dict[str, tuple[int, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "instance"
        instance, words = new_instance(path)
        every = [compartment.name for compartment in instance.event.compartments]
        team = make_team(path, words, {"ana": ("staff", ["identity", "contact", "needs"]), "rita": ("staff", every)})
        for size in sorted(sizes):
            grow(instance, size)
            app = create_app({"INSTANCE_DIR": path, "TESTING": True})
            client = app.test_client()
            assert login(client, team["ana"]).status_code == 303
            last = -(-size // 50)
            paths = dict(zip(PAGES, ("/staff/", f"/staff/?page={last}", "/staff/?status=waitlisted"), strict=True))
            results[size] = {name: _timed(client, page, fetches) for name, page in paths.items()}
            reader = app.test_client()
            assert login(reader, team["rita"]).status_code == 303
            token = hidden_fields(reader.get("/staff/review").get_data(as_text=True))["csrf_token"]
            opened = reader.post(
                "/staff/review/open",
                data={"csrf_token": token, "status": "submitted", "size": "20", "reason": "benchmark of the queue"},
            )
            assert opened.status_code == 303, opened.status_code
            results[size][QUEUE] = _timed(reader, "/staff/review", fetches)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="registrations, comma-separated")
    parser.add_argument("--fetches", type=int, default=7)
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    started = time.perf_counter()
    results = measure(sizes, options.fetches)
    print(
        f"staff list pages (median of {options.fetches} fetches; budget {PAGE_BUDGET_BYTES:,} B, {PAGE_BUDGET_MS:g} ms)"
    )
    print(f"review queue: budget {QUEUE_BUDGET_BYTES:,} B")
    for size, pages in results.items():
        for name, (size_bytes, ms) in pages.items():
            if name == QUEUE:
                verdict = "met" if size_bytes <= QUEUE_BUDGET_BYTES else "MISSED"
            else:
                verdict = "met" if size_bytes <= PAGE_BUDGET_BYTES and ms <= PAGE_BUDGET_MS else "MISSED"
            print(f"  {size:>7,} registrations  {name:<24} {size_bytes:>7,} B  {ms:7.1f} ms  {verdict}")
    print(f"({time.perf_counter() - started:.0f} s in all, building included)")


if __name__ == "__main__":
    main()
