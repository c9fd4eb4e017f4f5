"""How long the purge takes on 10,000 registrations, and what the scrub (VACUUM) adds.

Every record of a past event is due, so the purge destroys all of it; the figure is the
whole run: deletions in one transaction, the log entries, then db.scrub (checkpoint,
VACUUM in memory, checkpoint). The baseline is the same deletions without the scrub.

Run:  python -m benchmarks.purge [--registrations N]
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import tempfile
import time
from pathlib import Path

import crypto
from app.instance.folder import open_instance
from app.registrations import retention
from app.registrations.register import register
from app.storage import db
from benchmarks.sample import ANSWERS
from tests.retention_helpers import PAST_EVENT, new_instance


def fill(path: Path, registrations: int) -> None:
    instance, _words = new_instance(path, PAST_EVENT)
    connection = instance.connect()
    try:
        for _ in range(registrations):
            register(connection, instance, crypto.new_submission_token(), ANSWERS)
    finally:
        connection.close()


def timed_purge(path: Path, scrub: bool) -> tuple[float, int]:
    instance = open_instance(path)
    connection = instance.connect()
    real_scrub = db.scrub
    if not scrub:
        db.scrub = lambda connection: connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        started = time.perf_counter()
        report = retention.purge(connection, instance.event, datetime.date.today())
        return time.perf_counter() - started, report.values_destroyed
    finally:
        db.scrub = real_scrub
        connection.close()


def measure(registrations: int) -> dict[str, float]:
    """Seconds for the whole purge and for its deletions alone, each on its own copy of one database."""
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template"
        fill(template, registrations)
        size = sum(f.stat().st_size for f in template.iterdir())
        shutil.copytree(template, Path(folder) / "a")
        shutil.copytree(template, Path(folder) / "b")
        without, _ = timed_purge(Path(folder) / "a", scrub=False)
        with_scrub, destroyed = timed_purge(Path(folder) / "b", scrub=True)
    return {
        "with_scrub": with_scrub,
        "deletions_only": without,
        "ratio": with_scrub / without,
        "values_destroyed": destroyed,
        "database_bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    registrations = parser.parse_args().registrations
    result = measure(registrations)
    print(
        f"purge of {registrations} registrations ({result['values_destroyed']} values,"
        f" {result['database_bytes'] / 1e6:.1f} MB of database):"
    )
    print(f"  with the scrub      {result['with_scrub']:6.2f} s")
    print(f"  deletions only      {result['deletions_only']:6.2f} s   (baseline)")
    print(f"  ratio               {result['ratio']:6.2f}")


if __name__ == "__main__":
    main()
