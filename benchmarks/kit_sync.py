"""A field kit's sync of 10,000 registrations: export and import speed, and the bundle's size.

The kit is a real one (made with `issue_kit`, set up from its bundle with the real Argon2id cost), its
registrations sealed with the same function the registration page uses. Export is what
`gatehouse bundle export --to central` does (encode, seal and sign the bundle, write its parts, mark them);
import is what `gatehouse bundle import` does (read and check every part, decode, store in one transaction).

Sizes compare the bundle with the ciphertexts it carries (sealed data keys and field ciphertexts, which no
encoding can shrink) and with the record bytes handed to the bundle writer (ciphertexts plus each
registration's identifiers: codename look-up, pseudonym, day, which fields, key generations, size classes).

Run:  python -m benchmarks.kit_sync [--registrations N] [--part-size BYTES]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import crypto
from app.common.bundle_files import read_parts, write_parts
from app.common.clock import SYSTEM_CLOCK
from app.events.definition import demo_event_source
from app.instance.folder import open_instance
from app.instance.setup import create_instance
from app.kits.bundle import issue_kit, open_kit_bundle
from app.kits.instance import set_up_kit
from app.kits.sync import export_for_central, import_from_kit, mark_exported
from app.registrations.register import free_pseudonym, seal_into_record
from app.storage import db
from benchmarks.sample import ANSWERS

TARGET_RATIO = 1.05


def fill_kit(kit, registrations: int) -> None:
    """Registrations as the kit's form stores them, in one transaction so that filling is not what is measured."""
    event = kit.event
    connection = kit.connect()
    try:
        with db.transaction(connection):
            for _ in range(registrations):
                codename = crypto.codename_for_submission(kit.secrets.receipt_key, crypto.new_submission_token())
                lookup = crypto.codename_lookup(kit.secrets.codename_lookup_key, codename)
                registration_id = crypto.registration_id_for(lookup)
                connection.execute(
                    "INSERT INTO registrations (id, event_id, pseudonym, status, submitted_day, codename_lookup)"
                    " VALUES (?, ?, ?, 'submitted', ?, ?)",
                    (
                        registration_id,
                        event.id,
                        free_pseudonym(connection, event.id),
                        SYSTEM_CLOCK.today(),
                        lookup,
                    ),
                )
                seal_into_record(connection, event, registration_id, event.registration_fields(), ANSWERS)
    finally:
        connection.close()


def measure(registrations: int, part_size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        create_instance(root / "central", demo_event_source())
        central = open_instance(root / "central")
        connection = central.connect()
        try:
            kit_file = root / "kit.ghb"
            passphrase = issue_kit(connection, central, "bench", lambda parts: write_parts(kit_file, parts))
        finally:
            connection.close()
        keys = crypto.derive_kit_keys(passphrase)
        kit = set_up_kit(root / "kit", open_kit_bundle(read_parts([kit_file]), keys), keys)
        fill_kit(kit, registrations)

        connection = kit.connect()
        try:
            started = time.perf_counter()
            made = export_for_central(connection, kit.event, part_size=part_size)
            paths = write_parts(root / "sync.ghb", made.parts)
            mark_exported(connection, made)
            export_seconds = time.perf_counter() - started
        finally:
            connection.close()

        connection = central.connect()
        try:
            started = time.perf_counter()
            report = import_from_kit(connection, central, read_parts(paths))
            import_seconds = time.perf_counter() - started
        finally:
            connection.close()
        if report.added != registrations:
            raise SystemExit(f"imported {report.added} of {registrations}")
        bundle_bytes = sum(path.stat().st_size for path in paths)
    return {
        "parts": len(paths),
        "export_per_second": registrations / export_seconds,
        "import_per_second": registrations / import_seconds,
        "export_seconds": export_seconds,
        "import_seconds": import_seconds,
        "bundle_bytes": bundle_bytes,
        "record_bytes": made.record_bytes,
        "ciphertext_bytes": made.ciphertext_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--part-size", type=int, default=500_000)
    options = parser.parse_args()
    result = measure(options.registrations, options.part_size)
    count = options.registrations
    per_record = (result["record_bytes"] - result["ciphertext_bytes"]) / count
    ratio = result["bundle_bytes"] / result["ciphertext_bytes"]
    print(f"{count} registrations of the demo event, parts of at most {options.part_size:,} bytes")
    print(
        f"export  {result['export_seconds']:7.2f} s  {result['export_per_second']:9,.0f} registrations/s"
        "  (encode, seal and sign, write and sync the parts, mark them)"
    )
    print(
        f"import  {result['import_seconds']:7.2f} s  {result['import_per_second']:9,.0f} registrations/s"
        "  (read and check every part, decode, store in one transaction)"
    )
    print(f"bundle        {result['bundle_bytes']:>12,} bytes in {result['parts']} parts")
    print(f"records       {result['record_bytes']:>12,} bytes handed to the bundle writer")
    print(
        f"ciphertexts   {result['ciphertext_bytes']:>12,} bytes of sealed data keys, field ciphertexts and message keys"
    )
    print(f"bundle / records      {result['bundle_bytes'] / result['record_bytes']:.4f}")
    print(
        f"bundle / ciphertexts  {ratio:.4f}  ({'within' if ratio <= TARGET_RATIO else 'OVER'} {TARGET_RATIO}:"
        f" {per_record:.1f} bytes of identifiers per registration)"
    )


if __name__ == "__main__":
    main()
