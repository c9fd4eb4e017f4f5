"""Resident memory of the real server (waitress, production configuration) while it takes 10,000 registrations.

Fifty clients register through `gatehouse serve` on loopback; after every step the server's
VmRSS and VmHWM are read from /proc. The target: under 150 MB after 10,000 registrations.
The registrations are then checked as the load test checks them: each stored once, opening
with the values sent.

Run:  python -m benchmarks.memory [--registrations 10000] [--steps 10] [--clients 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from app.events.definition import demo_event_source
from app.instance.folder import open_instance
from app.instance.setup import create_instance
from tests.conftest import running_server
from tests.load import driver
from tests.load.process_memory import MB, ResidentMemory, resident_memory
from tests.load.stored import check_stored

TARGET_BYTES = 150 * MB


def measure(registrations: int, steps: int, clients: int) -> dict[str, object]:
    """Memory at start and after each step, and what the check found."""
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        words = create_instance(folder_path / "instance", demo_event_source())
        event = open_instance(folder_path / "instance").event
        ledger = driver.Ledger()
        failures: list[str] = []
        curve: list[tuple[int, ResidentMemory]] = []
        started = time.perf_counter()
        with running_server(folder_path / "instance", folder_path) as server:
            curve.append((0, resident_memory(server.process.pid)))
            for step in range(steps):
                count = registrations * (step + 1) // steps - registrations * step // steps
                outcome = driver.start(server.url, event, driver.Traffic(clients, registrations=count)).wait()
                ledger.add(outcome)
                failures += outcome.failures
                curve.append((len(ledger.acknowledged), resident_memory(server.process.pid)))
        elapsed = time.perf_counter() - started
        findings = check_stored(folder_path / "instance", words, ledger)
    return {"curve": curve, "failures": failures, "problems": findings.problems, "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--clients", type=int, default=50)
    arguments = parser.parse_args()
    result = measure(arguments.registrations, arguments.steps, arguments.clients)
    print(f"{'registrations':>13} {'VmRSS MB':>10} {'VmHWM MB':>10}")
    for done, memory in result["curve"]:
        print(f"{done:>13} {memory.rss_bytes / MB:>10.1f} {memory.hwm_bytes / MB:>10.1f}")
    last = result["curve"][-1][1]
    print(f"\n{'measured':<48} {'figure':>10} {'target':>10}")
    target = f"<{TARGET_BYTES // MB}"
    print(f"{'server VmRSS after the registrations (MB)':<48} {last.rss_bytes / MB:>10.1f} {target:>10}")
    print(f"{'server VmHWM after the registrations (MB)':<48} {last.hwm_bytes / MB:>10.1f} {target:>10}")
    print(f"{'failed requests':<48} {len(result['failures']):>10} {'0':>10}")
    print(f"{'problems in the stored records':<48} {len(result['problems']):>10} {'0':>10}")
    print(f"({result['seconds']:.0f} s for the registrations)")


if __name__ == "__main__":
    main()
