"""Instances of the demo event at several sizes, grown through the real registration path, for benchmarks.scale.

One instance grows to each size in turn (app.registrations.register.register: real sealing, real codename and
message-key derivation, two writers at once so that both cores derive), and a copy of its folder is kept at each
size. Of every twenty registrations two are rejected (a tenth: the share a purge a week after the decisions
finds due) and one waitlisted; a few are approved. A staff member holding three compartments and an auditor are
added first. The builder's own connections run with synchronous OFF: durability is not what is measured, and the
rows written are the same.

Run on its own to keep the copies:  python -m benchmarks.scale_build --into DIR [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from app.instance.folder import Instance, open_instance
from app.storage import db
from tests.growing import grow
from tests.retention_helpers import new_instance
from tests.staff_fixtures import Person, make_team

TEAM_FILE = "team.json"


def build(into: Path, sizes: Sequence[int]) -> dict[int, Path]:
    """A folder per size under ``into`` (kept: a second call with the same folder reuses what is there)."""
    into.mkdir(parents=True, exist_ok=True)
    wanted = {size: into / f"instance-{size}" for size in sorted(sizes)}
    missing = [size for size, path in wanted.items() if not path.exists()]
    if not missing:
        return wanted
    growing = into / "growing"
    shutil.rmtree(growing, ignore_errors=True)
    instance, words = new_instance(growing)
    team = make_team(growing, words, {"ana": ("staff", ["identity", "contact", "needs"]), "aude": ("auditor", [])})
    (into / TEAM_FILE).write_text(json.dumps({name: dataclasses.asdict(p) for name, p in team.people.items()}))
    with instance.connection() as connection:
        # As the first night's purge leaves a server: what set-up marked for a rewrite is done (app.storage.db).
        db.scrub(connection)
    held = 0
    for size in sorted(sizes):
        started = time.perf_counter()
        grow(instance, held, size)
        held = size
        with instance.connection() as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.rmtree(wanted[size], ignore_errors=True)
        shutil.copytree(growing, wanted[size])
        print(f"(built {size:,} registrations in {time.perf_counter() - started:.0f} s)", flush=True)
    shutil.rmtree(growing)
    return wanted


def team(into: Path) -> dict[str, Person]:
    """The staff member (ana) and the auditor (aude) of the instances under ``into``."""
    return {name: Person(**fields) for name, fields in json.loads((into / TEAM_FILE).read_text()).items()}


def copy(built: Path, to: Path) -> Instance:
    """A fresh copy of a built instance, for a measurement that changes it."""
    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(built, to)
    return open_instance(to)


def checkpointed(instance: Instance) -> None:
    with instance.connection() as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--into", type=Path, required=True)
    parser.add_argument("--sizes", default="1000,10000,50000")
    options = parser.parse_args()
    for size, path in build(options.into, [int(s) for s in options.sizes.split(",")]).items():
        print(f"{size:>7,}  {path}  {sum(f.stat().st_size for f in path.iterdir()) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
