"""Size and speed of the bundle format for 10,000 records the size of sealed registrations.

Writes and reads an encrypted bundle (in parts of 500 KB, as for a slow link) and a signed-only
one, and prints the bytes written against the record bytes they carry, and records per second.
The records are random bytes of 1 KiB by default: ciphertexts look random, and the format never
looks inside a record. No Flask, no database: this measures the format alone.

Run:  python -m benchmarks.bundle_format [--records N] [--record-size BYTES] [--part-size BYTES]
"""

from __future__ import annotations

import argparse
import secrets
import time

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from offline_bundle import read_bundle, write_bundle

TARGET_RATIO = 1.05


def measure(records: list[bytes], part_size: int, encrypted: bool) -> dict[str, float]:
    signing_key, recipient = SigningKey.generate(), PrivateKey.generate()
    trusted = {bytes(signing_key.verify_key): "benchmark"}
    started = time.perf_counter()
    written = write_bundle(
        "kit-sync",
        {"event": "forum-2027", "kit": "benchmark"},
        records,
        signing_key=signing_key,
        recipient=recipient.public_key if encrypted else None,
        part_size=part_size,
    )
    write_seconds = time.perf_counter() - started
    started = time.perf_counter()
    bundle = read_bundle(
        written, kind="kit-sync", trusted_signers=trusted, recipient_key=recipient if encrypted else None
    )
    read_seconds = time.perf_counter() - started
    if bundle.records != records:
        raise SystemExit("the bundle did not give back its records")
    record_bytes = sum(len(record) for record in records)
    bundle_bytes = sum(len(part) for part in written)
    return {
        "parts": len(written),
        "record_bytes": record_bytes,
        "bundle_bytes": bundle_bytes,
        "ratio": bundle_bytes / record_bytes,
        "write_per_second": len(records) / write_seconds,
        "read_per_second": len(records) / read_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--record-size", type=int, default=1024)
    parser.add_argument("--part-size", type=int, default=500_000)
    options = parser.parse_args()
    records = [secrets.token_bytes(options.record_size) for _ in range(options.records)]
    print(f"{options.records} records of {options.record_size} bytes, parts of at most {options.part_size} bytes")
    for label, encrypted in (("encrypted", True), ("signed only", False)):
        result = measure(records, options.part_size, encrypted)
        verdict = "within" if result["ratio"] <= TARGET_RATIO else "OVER"
        print(
            f"{label:12} {result['parts']:4.0f} parts  {result['bundle_bytes']:>11,.0f} bytes"
            f" for {result['record_bytes']:,.0f} record bytes  ratio {result['ratio']:.4f}"
            f" ({verdict} {TARGET_RATIO})  write {result['write_per_second']:,.0f} records/s"
            f"  read {result['read_per_second']:,.0f} records/s"
        )


if __name__ == "__main__":
    main()
