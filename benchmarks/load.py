"""Throughput and latency of the real server (waitress, production configuration) under fifty clients.

Each client registers one participant after another through `gatehouse serve` on loopback,
the real two requests (GET the form, POST it), for a bounded time. Afterwards every
acknowledged registration is checked in the database: stored once, opening with the values sent.

Run:  python -m benchmarks.load [--seconds 20] [--clients 50]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from app.events.definition import demo_event_source
from app.instance.folder import open_instance
from app.instance.setup import create_instance
from tests.conftest import running_server
from tests.load import driver
from tests.load.stored import check_stored


def measure(seconds: float, clients: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        words = create_instance(folder_path / "instance", demo_event_source())
        event = open_instance(folder_path / "instance").event
        with running_server(folder_path / "instance", folder_path) as server:
            outcome = driver.start(server.url, event, driver.Traffic(clients)).wait(seconds)
        findings = check_stored(folder_path / "instance", words, outcome)
    return {
        "registrations": outcome.unique_acknowledged(),
        "per_second": outcome.throughput(),
        "post_p50": driver.percentile(outcome.post_seconds, 0.50),
        "post_p99": driver.percentile(outcome.post_seconds, 0.99),
        "registration_p50": driver.percentile(outcome.registration_seconds, 0.50),
        "registration_p99": driver.percentile(outcome.registration_seconds, 0.99),
        "failures": len(outcome.failures),
        "problems": len(findings.problems),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=50)
    arguments = parser.parse_args()
    result = measure(arguments.seconds, arguments.clients)
    rows = [
        (f"registrations/s, {arguments.clients} clients on loopback", f"{result['per_second']:.1f}", ""),
        ("POST /register latency p50 (ms)", f"{result['post_p50'] * 1000:.0f}", ""),
        ("POST /register latency p99 (ms)", f"{result['post_p99'] * 1000:.0f}", ""),
        ("GET + POST latency p50 (ms)", f"{result['registration_p50'] * 1000:.0f}", ""),
        ("GET + POST latency p99 (ms)", f"{result['registration_p99'] * 1000:.0f}", ""),
        ("failed requests", f"{result['failures']}", "0"),
        ("acknowledged but lost, wrong or stored twice", f"{result['problems']}", "0"),
    ]
    print(f"{'measured':<48} {'figure':>10} {'target':>7}")
    for what, figure, target in rows:
        print(f"{what:<48} {figure:>10} {target:>7}")
    print(f"({result['registrations']} registrations in {arguments.seconds:.0f} s)")


if __name__ == "__main__":
    main()
