"""What each cost becomes as the event grows: 1,000, 10,000 and 50,000 registrations, and the growth in between.

The instances are grown once through the real registration path (benchmarks/scale_build.py); a measurement that
changes one works on a copy of its folder. Per size: `gatehouse serve` (waitress, loopback) is started on a copy,
its start-up time (until it accepts a connection) and resident memory then, before any request; one client, then
twenty, register through it (GET+POST); ten participants look their status up and ten withdraw (the POST timed);
the staff list and the auditor page are fetched as ana and aude (median of five); the staff export is made once,
in a process of its own that downloads it a chunk at a time (its seconds, and that process's peak and final
resident memory: the export streams, so neither grows with the event); then, with the server still up, twenty clients
register while another process purges the tenth of the event that is due (the rejected, a week after their
decision): no registration may fail or wait more than a second; and as long again with no purge, since twenty
clients on two cores have a tail of their own. On fresh copies and no server: the purge with
nothing due (the second of two runs, as every night after the first; and the same without its scrub), with a
tenth due, with everything due; ten withdrawals called as the service (the write transaction and the checkpoint
after it: the most a withdrawal can hold the write lock, so the most it can delay a registration); `gatehouse audit
verify` of an export of the log. Once: the auditor page over a log of 200,000 entries.

Run:  python -m benchmarks.scale [--sizes 1000,10000,50000] [--built DIR]
(--built keeps the grown instances in DIR and reuses them at the next run: growing 50,000 takes a few minutes.)
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import scale_build
from benchmarks.scale_measures import (
    auditor_page_at,
    export_in_its_own_process,
    purge_beside_registrations,
    served,
    slowest_registration,
    staff_pages,
    timed_audit_verify,
    timed_purge,
    timed_registrations,
    timed_status_and_withdrawals,
    timed_withdrawals_in_process,
)

SIZES = (1_000, 10_000, 50_000)
AUDIT_ENTRIES = 200_000


@dataclass(frozen=True)
class Figure:
    """One line of the table: a figure per size, and what the issue asks of it (at the largest size or its growth)."""

    key: str
    what: str
    unit: str
    target: str = ""  # "<= 50" of the figure at the largest size, "growth <= 1.3", or "" (none)

    def verdict(self, by_size: dict[int, float]) -> str:
        if not self.target or not by_size:
            return "-"
        largest = by_size[max(by_size)]
        if self.target.startswith("growth"):
            comparison, limit = self.target.split()[1:]
            value = largest / by_size[min(by_size)] if by_size[min(by_size)] else float("inf")
        else:
            comparison, limit = self.target.split()
            value = largest
        met = value <= float(limit) if comparison == "<=" else value >= float(limit)
        return "met" if met else "MISSED"


FIGURES = (
    Figure("one_client_ms", "registration GET+POST, 1 client, median", "ms", "growth <= 1.3"),
    Figure("twenty_per_second", "registrations/s, 20 clients", "reg/s", "growth >= 0.8"),
    Figure("twenty_p99_ms", "registration GET+POST, 20 clients, p99", "ms"),
    Figure("status_ms", "/status look-up (POST), median", "ms"),
    Figure("withdrawal_ms", "withdrawal (POST), median", "ms", "<= 50"),
    Figure("withdrawal_max_ms", "withdrawal (POST), slowest of ten", "ms"),
    Figure(
        "withdrawal_lock_ms", "withdrawal as a service call (all it can hold the lock), slowest of ten", "ms", "<= 100"
    ),
    Figure("purge_nothing_s", "purge, nothing due", "s"),
    Figure("purge_nothing_vs_no_scrub", "purge, nothing due: ratio to the same without its scrub", "x", "<= 1.2"),
    Figure("purge_tenth_s", "purge, a tenth due", "s"),
    Figure("purge_all_s", "purge, everything due", "s"),
    Figure("beside_wait_ms", "slowest registration (GET+POST) beside a purge of a tenth", "ms", "<= 1000"),
    Figure("beside_failures", "failed registrations beside a purge of a tenth", "", "<= 0"),
    Figure("alone_wait_ms", "slowest registration (GET+POST), the same twenty clients as long, no purge", "ms"),
    Figure("staff_list_ms", "staff list, first page, median", "ms"),
    Figure("auditor_ms", "auditor page, median", "ms"),
    Figure("startup_s", "start-up, until the port accepts", "s", "<= 1.5"),
    Figure("startup_rss_mb", "server RSS before the first request", "MB", "<= 150"),
    Figure("audit_verify_s", "gatehouse audit verify (the command, start included)", "s"),
    Figure("export_s", "staff export, streamed", "s"),
    Figure("export_peak_mb", "staff export: its process's peak RSS (VmHWM)", "MB", "<= 150"),
    Figure("export_after_mb", "staff export: its process's RSS once downloaded", "MB", "<= 150"),
)


def measure_size(built: Path, work: Path, size: int, people: dict) -> dict[str, float]:
    figures: dict[str, float] = {}
    say = _say(size)
    with served(scale_build.copy(built, work / "served").path, work) as server:
        figures["startup_s"], figures["startup_rss_mb"] = server.started_seconds, server.rss_before_mb
        say("start-up")
        one = timed_registrations(server, clients=1, registrations=30)
        figures["one_client_ms"] = statistics.median(one.registration_seconds) * 1000
        twenty = timed_registrations(server, clients=20, registrations=200)
        figures["twenty_per_second"] = twenty.throughput()
        figures["twenty_p99_ms"] = _p99(twenty.registration_seconds) * 1000
        say("registrations")
        codenames = [ack.codename for ack in twenty.acknowledged[:20]]
        looked_up, withdrawn = timed_status_and_withdrawals(server, codenames[:10], codenames[10:20])
        figures["status_ms"] = statistics.median(looked_up) * 1000
        figures["withdrawal_ms"] = statistics.median(withdrawn) * 1000
        figures["withdrawal_max_ms"] = max(withdrawn) * 1000
        say("status and withdrawals")
        figures.update(staff_pages(server.instance_path, people))
        figures.update(export_in_its_own_process(server.instance_path, people["ana"]))
        say("staff pages and export")
        figures["beside_wait_ms"], figures["beside_failures"], ran = purge_beside_registrations(server, _a_tenth_due())
        figures["alone_wait_ms"] = slowest_registration(server, ran)
        say("purge beside registrations")
    # The nightly purge: a first run (as at the server's start) has already done whatever was pending.
    nothing = timed_purge(scale_build.copy(built, work / "nothing"), datetime.date.today(), runs=2)
    without = timed_purge(scale_build.copy(built, work / "without"), datetime.date.today(), scrub=False, runs=2)
    figures["purge_nothing_s"], figures["purge_nothing_vs_no_scrub"] = nothing, nothing / without
    figures["purge_tenth_s"] = timed_purge(scale_build.copy(built, work / "tenth"), _a_tenth_due())
    figures["withdrawal_lock_ms"] = (
        max(timed_withdrawals_in_process(scale_build.copy(built, work / "withdrawing"))) * 1000
    )
    everything = scale_build.copy(built, work / "all")
    figures["purge_all_s"] = timed_purge(everything, everything.event.latest_destruction())
    say("purges")
    figures["audit_verify_s"] = timed_audit_verify(built, work)
    say("audit verify")
    return figures


def _a_tenth_due() -> datetime.date:
    """A week and a day after the build's decisions: the rejected registrations (a tenth) are due, nothing else."""
    return datetime.date.today() + datetime.timedelta(days=8)


def _p99(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


def _shown(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _say(size: int) -> Callable[[str], None]:
    started = time.perf_counter()

    def say(step: str) -> None:
        print(f"  ({size:,}: {step} done at {time.perf_counter() - started:.0f} s)", flush=True)

    return say


def measure(sizes: Sequence[int], built: Path | None = None) -> tuple[dict[int, dict[str, float]], tuple[float, float]]:
    """Figures per size, and the auditor page's milliseconds over AUDIT_ENTRIES entries: first view, then median."""
    with tempfile.TemporaryDirectory() as folder:
        into = built or Path(folder) / "built"
        instances = scale_build.build(into, sizes)
        people = scale_build.team(into)
        results = {}
        for size, path in instances.items():
            work = Path(folder) / f"work-{size}"
            work.mkdir()
            results[size] = measure_size(path, work, size, people)
        smallest = instances[min(instances)]
        audit_views = auditor_page_at(scale_build.copy(smallest, Path(folder) / "audit"), AUDIT_ENTRIES, people["aude"])
    return results, audit_views


def rows(results: dict[int, dict[str, float]]) -> Iterator[tuple[Figure, dict[int, float], float | None]]:
    """Each figure with its value per size and its growth from the smallest size to the largest."""
    for figure in FIGURES:
        by_size = {size: figures[figure.key] for size, figures in results.items() if figure.key in figures}
        low, high = by_size.get(min(results)), by_size.get(max(results))
        yield figure, by_size, (high / low if low else None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--built", type=Path, help="keep the grown instances here, and reuse them")
    options = parser.parse_args(argv)
    sizes = [int(size) for size in options.sizes.split(",")]
    started = time.perf_counter()
    results, audit_views = measure(sizes, options.built)
    header = "".join(f"{size:>12,}" for size in sizes)
    print(f"\n{'measured':<62}{header}{'growth':>9}  {'target':<14} verdict")
    for figure, by_size, growth in rows(results):
        cells = "".join(f"{_shown(by_size[size]):>12}" if size in by_size else f"{'-':>12}" for size in sizes)
        shown = f"{growth:>9.2f}" if growth is not None else f"{'-':>9}"
        print(
            f"{figure.what + ' (' + figure.unit + ')':<62}{cells}{shown}  {figure.target:<14} {figure.verdict(by_size)}"
        )
    first_ms, audit_ms = audit_views
    verdict = "met" if audit_ms <= 200 else "MISSED"
    print(f"{'auditor page at 200,000 log entries, median (ms)':<62}{audit_ms:>12.1f}  <= 200  {verdict}")
    print(f"{'  its first view in a server process (whole chain) (ms)':<62}{first_ms:>12.1f}")
    print(f"({time.perf_counter() - started:.0f} s in all, building included)")


if __name__ == "__main__":
    main()
