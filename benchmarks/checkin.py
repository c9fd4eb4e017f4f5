"""Check-in: passes verified per second at a desk, and the size of a pass-list (revocation) bundle.

A central demo instance issues passes to approved registrations (one in ten then re-issued, so the list carries
revocations) and makes the pass list for a field kit, with `lists.export_list` as `gatehouse checkin list` does.
The kit loads it, and its desk checks every standing pass once with `desk.check_in`, the function the desk page
calls (read the code, verify the signature with the public key, look the pass up in the list, record the arrival,
each in its own transaction). The baseline is bare Ed25519 verification of the same passes with PyNaCl.

Run:  python -m benchmarks.checkin [--passes N] [--list-sizes 250,10000]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import tempfile
import time
from pathlib import Path

from nacl.signing import VerifyKey

import crypto
from app.checkin import desk, lists, passes
from app.common.bundle_files import read_parts, write_parts
from app.common.clock import Clock
from app.events.definition import demo_event_source
from app.instance.folder import Instance, open_instance
from app.instance.setup import create_instance
from app.kits.bundle import issue_kit, open_kit_bundle
from app.kits.instance import set_up_kit
from app.registrations.register import free_pseudonym
from app.storage import db

# Argon2id at a low cost: the kit's passphrase is not what is measured here.
_LOW_COST = crypto.Argon2Cost(memory_kib=1024, time_cost=1, parallelism=1)
REVOKED_ONE_IN = 10


class _AtTheDoor(Clock):
    def now(self) -> datetime.datetime:
        return datetime.datetime(2027, 5, 4, 9, 30, tzinfo=datetime.UTC)


def _approve(central: Instance, count: int) -> list[str]:
    """``count`` approved registrations (no values: a pass needs none), each issued a pass; one in ten re-issued."""
    codes = []
    with central.connection() as connection:
        with db.transaction(connection):
            ids = []
            for number in range(count):
                registration_id = f"{number:032x}"
                connection.execute(
                    "INSERT INTO registrations (id, event_id, pseudonym, status, submitted_day, codename_lookup)"
                    " VALUES (?, ?, ?, 'approved', '2027-01-01', ?)",
                    (registration_id, central.event.id, free_pseudonym(connection, central.event.id), bytes(16 - 4)
                     + number.to_bytes(4, "big")),
                )  # fmt: skip
                ids.append(registration_id)
        for number, registration_id in enumerate(ids):
            issued = passes.pass_codes(connection, central.event, registration_id)
            if number % REVOKED_ONE_IN == 0:
                pseudonym = connection.execute("SELECT pseudonym FROM registrations WHERE id = ?", (registration_id,))
                passes.reissue(connection, central.event, pseudonym.fetchone()[0], "bench")
            else:
                codes.append(issued.long if issued else "")
    return codes


def _writer(path: Path):
    return lambda parts: write_parts(path, parts)


def measure(passes_checked: int, list_sizes: tuple[int, ...]) -> dict[str, float]:
    result: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for size in sorted(set(list_sizes) | {passes_checked}):
            create_instance(root / f"central-{size}", demo_event_source())
            central = open_instance(root / f"central-{size}", _AtTheDoor())
            codes = _approve(central, size)
            with central.connection() as connection:
                kit_file = root / f"kit-{size}.ghb"
                passphrase = issue_kit(connection, central, "door", _writer(kit_file), _LOW_COST)
                parts, _sequence = lists.export_list(connection, central.event, "door")
                public_key = passes.public_key(connection)
            result[f"list_bytes_{size}"] = sum(len(part) for part in parts)
            if size != passes_checked:
                continue
            keys = crypto.derive_kit_keys(passphrase, _LOW_COST)
            kit = set_up_kit(root / f"kit-{size}", open_kit_bundle(read_parts([kit_file]), keys), keys)
            kit = dataclasses.replace(kit, clock=_AtTheDoor())
            raws = [crypto.passes.read_code(code) for code in codes]
            started = time.perf_counter()
            for raw in raws:
                VerifyKey(public_key).verify(b"gatehouse pass 1\x00" + central.event.id.encode() + b"\x00" + raw[:18],
                                             raw[18:])  # fmt: skip
            result["bare_per_second"] = len(raws) / (time.perf_counter() - started)
            with kit.connection() as connection:
                lists.load_list(connection, kit.event, parts, keys)
                started = time.perf_counter()
                for code in codes:
                    if desk.check_in(connection, kit.event, "door", code).earlier:
                        raise SystemExit("a pass checked once was taken as already used")
                seconds = time.perf_counter() - started
            result["desk_per_second"] = len(codes) / seconds
            result["checked"] = len(codes)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=2_000)
    parser.add_argument("--list-sizes", default="250,10000")
    options = parser.parse_args()
    sizes = tuple(int(size) for size in options.list_sizes.split(","))
    result = measure(options.passes, sizes)
    print(f"desk: {result['desk_per_second']:,.0f} passes checked in per second ({result['checked']:,.0f} passes:"
          " read, verify, look up, record)")  # fmt: skip
    print(f"bare Ed25519 verification of the same passes: {result['bare_per_second']:,.0f} per second")
    for size in sizes:
        total = result[f"list_bytes_{size}"]
        revoked = f"one in {REVOKED_ONE_IN} revoked"
        print(f"pass list of {size:,} passes ({revoked}): {total:,.0f} bytes, {total / size:.1f} per pass")


if __name__ == "__main__":
    main()
