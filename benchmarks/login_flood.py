"""Participants' registration latency while bogus staff logins flood the real server, against the same without.

`gatehouse serve` runs on loopback on a fresh demo instance. Participant clients register one
participant after another (GET the form, POST it), first with nothing else going on, then while
other threads send bogus staff logins (invented usernames and passphrases) at a fixed rate, as an
attacker who wants the server to run Argon2id would. The phases alternate, ``rounds`` times each, so
that a database growing or a machine drifting weighs on both alike. Printed: participants' p50 and p99
in both, their ratio, the server's resident memory (VmRSS now, VmHWM its peak) and how the flood's
logins were answered (503 "busy": no Argon2 ran for them).

The targets: flooded p99 at most twice the unflooded p99, and the server under 150 MB.

Run:  python -m benchmarks.login_flood [--seconds 10] [--clients 10] [--logins-per-second 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import secrets
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.events.definition import Event, demo_event_source
from app.instance.folder import open_instance
from app.instance.setup import create_instance
from tests.conftest import running_server
from tests.load import driver
from tests.load.browser import CONNECTION_ERRORS, Browser
from tests.load.process_memory import MB, ResidentMemory, resident_memory

TARGET_P99_RATIO = 2.0
TARGET_BYTES = 150 * MB
FLOOD_THREADS = 8
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class FloodTally:
    """How the server answered the flood's logins, by status (None: the connection failed)."""

    answers: Counter[int | None] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, status: int | None, seconds: float) -> None:
        with self._lock:
            self.answers[status] += 1
            self.seconds.append(seconds)


class _Flooder(threading.Thread):
    """Bogus logins at a steady pace on one keep-alive connection, reusing one CSRF token as an attacker would."""

    def __init__(self, url: str, interval: float, offset: float, halt: threading.Event, tally: FloodTally) -> None:
        super().__init__(name="login-flood", daemon=True)
        self._url, self._interval, self._offset, self._halt, self._tally = url, interval, offset, halt, tally

    def run(self) -> None:
        browser = Browser(self._url, timeout=60)
        try:
            status, page = browser.get("/staff/login")
            token = _CSRF.search(page)
            if status != 200 or token is None:
                self._tally.add(status, 0.0)
                return
            due = time.monotonic() + self._offset
            while not self._halt.wait(max(0.0, due - time.monotonic())):
                # An open loop: the next login is due at a fixed time whatever the answer took, without bursts.
                due = max(due + self._interval, time.monotonic())
                form = {
                    "csrf_token": token.group(1),
                    "username": f"invented-{secrets.token_hex(4)}",
                    "passphrase": secrets.token_urlsafe(24),
                    "code": f"{secrets.randbelow(1_000_000):06d}",
                }
                started = time.perf_counter()
                try:
                    status, _ = browser.post("/staff/login", form)
                except CONNECTION_ERRORS:
                    self._tally.add(None, time.perf_counter() - started)
                    continue
                self._tally.add(status, time.perf_counter() - started)
        finally:
            browser.close()


def _participants(url: str, event: Event, clients: int, seconds: float) -> driver.Outcome:
    return driver.start(url, event, driver.Traffic(clients)).wait(seconds)


def _flooded(url: str, event: Event, clients: int, seconds: float, per_second: float, tally: FloodTally):
    halt = threading.Event()
    interval = FLOOD_THREADS / per_second
    flooders = [
        _Flooder(url, interval, interval * number / FLOOD_THREADS, halt, tally) for number in range(FLOOD_THREADS)
    ]
    for flooder in flooders:
        flooder.start()
    try:
        return _participants(url, event, clients, seconds)
    finally:
        halt.set()
        for flooder in flooders:
            flooder.join(120)


def measure(seconds: float, clients: int, logins_per_second: float, rounds: int) -> dict[str, object]:
    """Participants' latencies without and with the flood, the server's memory, and the flood's answers."""
    quiet: list[float] = []
    flooded: list[float] = []
    elapsed = {"quiet": 0.0, "flooded": 0.0}
    failures: list[str] = []
    tally = FloodTally()
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        create_instance(folder_path / "instance", demo_event_source())
        event = open_instance(folder_path / "instance").event
        with running_server(folder_path / "instance", folder_path) as server:
            _participants(server.url, event, clients, min(seconds / 2, 2.0))  # warm up templates and caches
            before = resident_memory(server.process.pid)
            for _ in range(rounds):
                outcome = _participants(server.url, event, clients, seconds)
                quiet += outcome.registration_seconds
                elapsed["quiet"] += outcome.elapsed
                failures += outcome.failures
                outcome = _flooded(server.url, event, clients, seconds, logins_per_second, tally)
                flooded += outcome.registration_seconds
                elapsed["flooded"] += outcome.elapsed
                failures += outcome.failures
            after: ResidentMemory = resident_memory(server.process.pid)
    quiet_p99, flooded_p99 = driver.percentile(quiet, 0.99), driver.percentile(flooded, 0.99)
    return {
        "quiet_p50": driver.percentile(quiet, 0.50),
        "quiet_p99": quiet_p99,
        "flooded_p50": driver.percentile(flooded, 0.50),
        "flooded_p99": flooded_p99,
        "p99_ratio": flooded_p99 / quiet_p99,
        "quiet_registrations": len(quiet),
        "flooded_registrations": len(flooded),
        "quiet_per_second": len(quiet) / elapsed["quiet"],
        "flooded_per_second": len(flooded) / elapsed["flooded"],
        "rss_before": before.rss_bytes,
        "rss_after": after.rss_bytes,
        "hwm_after": after.hwm_bytes,
        "flood_sent": sum(tally.answers.values()),
        "flood_busy": tally.answers[503],
        "flood_refused": tally.answers[400],
        "flood_other": sum(count for status, count in tally.answers.items() if status not in (400, 503)),
        "flood_p50": driver.percentile(tally.seconds, 0.50),
        "failures": len(failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="each phase, each round")
    parser.add_argument("--clients", type=int, default=10, help="participants registering at once")
    parser.add_argument("--logins-per-second", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    r = measure(arguments.seconds, arguments.clients, arguments.logins_per_second, arguments.rounds)
    flood = f"{arguments.logins_per_second:g} bogus logins/s"
    rows = [
        ("participants' GET + POST p50, no flood (ms)", f"{r['quiet_p50'] * 1000:.0f}", ""),
        (f"participants' GET + POST p50, {flood} (ms)", f"{r['flooded_p50'] * 1000:.0f}", ""),
        ("participants' GET + POST p99, no flood (ms)", f"{r['quiet_p99'] * 1000:.0f}", ""),
        (f"participants' GET + POST p99, {flood} (ms)", f"{r['flooded_p99'] * 1000:.0f}", ""),
        ("p99 flooded / p99 without flood", f"{r['p99_ratio']:.2f}", f"<={TARGET_P99_RATIO:g}"),
        ("registrations/s, no flood", f"{r['quiet_per_second']:.1f}", ""),
        (f"registrations/s, {flood}", f"{r['flooded_per_second']:.1f}", ""),
        ("server VmRSS before the first round (MB)", f"{r['rss_before'] / MB:.1f}", ""),
        ("server VmRSS after the last flood (MB)", f"{r['rss_after'] / MB:.1f}", f"<{TARGET_BYTES // MB}"),
        ("server VmHWM, the peak (MB)", f"{r['hwm_after'] / MB:.1f}", f"<{TARGET_BYTES // MB}"),
        ("flood logins sent", f"{r['flood_sent']}", ""),
        ("  answered 503 busy (no Argon2 ran)", f"{r['flood_busy']}", ""),
        ("  answered 400 refused (Argon2 ran)", f"{r['flood_refused']}", ""),
        ("  answered otherwise or cut", f"{r['flood_other']}", "0"),
        ("flood login answer p50 (ms)", f"{r['flood_p50'] * 1000:.0f}", ""),
        ("participants' failed requests", f"{r['failures']}", "0"),
    ]
    print(f"{'measured':<52} {'figure':>10} {'target':>7}")
    for what, figure, target in rows:
        print(f"{what:<52} {figure:>10} {target:>7}")
    print(
        f"({arguments.clients} participant clients; {r['quiet_registrations']} registrations without the flood and"
        f" {r['flooded_registrations']} with it, {arguments.rounds} x {arguments.seconds:g} s each)"
    )


if __name__ == "__main__":
    main()
