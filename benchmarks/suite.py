"""Every benchmark the issues ask for, run in one process and printed as one table.

A row holds what was measured, the figure, the baseline measured in the same run, their ratio, the
target the issue set, and whether it was met. Where there is nothing to measure against (page sizes,
memory), the baseline column holds the budget and says "budget". Each row is printed as soon as it is
measured, and the whole table again at the end. A missed target is reported, not raised: the exit
status is 0 unless a benchmark itself broke.

Run:  python -m benchmarks [--quick] [--only NAME[,NAME]]
"""

from __future__ import annotations

import argparse
import operator
import secrets
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# The full sizes are each module's own defaults, the ones the issues name; --quick only smoke-checks.
SIZES: dict[str, dict[str, dict[str, int | float]]] = {
    "registration_throughput": {
        "full": {"registrations": 600, "rounds": 5, "starts": (0, 10_000)},
        "quick": {"registrations": 60, "rounds": 2, "starts": (0, 1_000)},
    },
    "export_decrypt": {"full": {"registrations": 10_000}, "quick": {"registrations": 300}},
    "page_sizes": {"full": {}, "quick": {}},
    "bad_link": {"full": {"runs": 3}, "quick": {"runs": 1}},
    "purge": {"full": {"registrations": 10_000}, "quick": {"registrations": 200}},
    "bundle_format": {
        "full": {"records": 10_000, "record_size": 1024, "part_size": 500_000},
        "quick": {"records": 500, "record_size": 1024, "part_size": 500_000},
    },
    "kit_sync": {
        "full": {"registrations": 10_000, "part_size": 500_000},
        "quick": {"registrations": 300, "part_size": 500_000},
    },
    "checkin": {
        "full": {"passes_checked": 2_000, "small_list": 250, "large_list": 10_000},
        "quick": {"passes_checked": 200, "small_list": 250, "large_list": 1_000},
    },
    "load": {"full": {"seconds": 20.0, "clients": 50}, "quick": {"seconds": 5.0, "clients": 50}},
    "memory": {
        "full": {"registrations": 10_000, "steps": 10, "clients": 50},
        "quick": {"registrations": 500, "steps": 2, "clients": 50},
    },
    "staff_pages": {"full": {"largest": 50_000, "fetches": 7}, "quick": {"largest": 300, "fetches": 3}},
    "login_flood": {
        "full": {"seconds": 10.0, "clients": 10, "logins_per_second": 8.0, "rounds": 3},
        "quick": {"seconds": 2.0, "clients": 4, "logins_per_second": 8.0, "rounds": 1},
    },
    # The full run grows 50,000 registrations (about 4 minutes on two cores) and measures them: about 15 minutes.
    "scale": {"full": {"sizes": (1_000, 10_000, 50_000)}, "quick": {"sizes": (1_000, 10_000)}},
}

_COMPARE = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, "=": operator.eq}
COLUMNS = ("benchmark", "measured", "figure", "baseline", "ratio", "target", "verdict")
_WIDTHS = (23, 76, 14, 18, 6, 13, 7)


def _number(value: float, unit: str) -> str:
    if unit in ("", "B") or abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".rstrip()


@dataclass(frozen=True)
class Target:
    """What an issue asks of a row: its ratio, or its figure itself, against a limit."""

    of: str  # "ratio" or "figure"
    comparison: str  # a key of _COMPARE
    limit: float

    def met(self, row: Row) -> bool:
        value = row.ratio if self.of == "ratio" else row.figure
        return value is not None and _COMPARE[self.comparison](value, self.limit)

    def text(self, unit: str) -> str:
        if self.of == "ratio":
            return f"ratio {self.comparison} {self.limit:g}"
        return f"{self.comparison} {_number(self.limit, unit)}"


@dataclass(frozen=True)
class Row:
    benchmark: str
    measured: str
    figure: float | None = None
    unit: str = ""
    baseline: float | None = None
    baseline_is_budget: bool = False  # a fixed limit from the issue, nothing measured
    target: Target | None = None
    not_run: str | None = None  # why it could not run here (something missing)
    failure: str | None = None  # the benchmark broke

    @property
    def ratio(self) -> float | None:
        if self.figure is None or not self.baseline:
            return None
        return self.figure / self.baseline

    def verdict(self) -> str:
        if self.failure:
            return "FAILED"
        if self.not_run:
            return "not run"
        if self.target is None:
            return "-"
        return "met" if self.target.met(self) else "MISSED"

    def cells(self) -> tuple[str, ...]:
        if self.failure or self.not_run:
            why = f"failed: {self.failure}" if self.failure else f"not run: {self.not_run}"
            return (self.benchmark, self.measured, why, "-", "-", "-", self.verdict())
        baseline = "-"
        if self.baseline is not None:
            baseline = _number(self.baseline, self.unit) + (" (budget)" if self.baseline_is_budget else "")
        ratio = "-" if self.ratio is None else f"{self.ratio:.3f}"
        target = "none set" if self.target is None else self.target.text(self.unit)
        return (self.benchmark, self.measured, _number(self.figure, self.unit), baseline, ratio, target, self.verdict())


def line(cells: tuple[str, ...], widths: tuple[int, ...] = _WIDTHS) -> str:
    return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"


def table(rows: list[tuple[str, ...]], widths: tuple[int, ...] = _WIDTHS) -> str:
    """The header, its rule and the rows, as a Markdown table that can be pasted into a note."""
    rule = tuple("-" * width for width in widths)
    return "\n".join(line(cells, widths) for cells in [COLUMNS, rule, *rows])


# One function per benchmark module: it calls the module's measure() and yields the table's rows.


def registration_throughput(registrations: int, rounds: int, starts: tuple[int, ...]) -> Iterator[Row]:
    from benchmarks import registration_throughput as module

    for start_from in starts:
        result = module.measure(registrations, rounds, start_from)
        held = f"from {start_from:,} registrations" if start_from else "from empty"
        yield Row(
            "registration_throughput",
            f"registrations/s through WSGI (GET+POST), {held}, vs plaintext sqlite3 keeping its WAL",
            result["gatehouse"],
            "reg/s",
            result["baseline"],
            target=Target("ratio", ">=", module.TARGET_RATIO),
        )


def export_decrypt(registrations: int) -> Iterator[Row]:
    from benchmarks import export_decrypt as module

    result = module.measure(registrations)
    yield Row(
        "export_decrypt",
        f"records/s decrypted by a staff CSV export of {registrations:,}, vs raw PyNaCl",
        result["export"],
        "rec/s",
        result["raw"],
        target=Target("ratio", ">=", module.TARGET_RATIO),
    )
    yield Row(
        "export_decrypt",
        "  of which the openings alone, in the export's code, on records already read",
        result["opening"],
        "rec/s",
        result["raw"],
    )


def page_sizes() -> Iterator[Row]:
    from benchmarks import page_sizes as module

    for language, sizes in module.measure().items():
        on_wire = module.totals(sizes)
        largest = max(on_wire, key=lambda name: on_wire[name])
        body, headers = sizes[largest]
        yield Row(
            "page_sizes",
            f"largest participant page in {language}: {largest} (body {body} B + headers {headers} B)",
            on_wire[largest],
            "B",
            module.PAGE_BUDGET_BYTES,
            baseline_is_budget=True,
            target=Target("figure", "<=", module.PAGE_BUDGET_BYTES),
        )


def bad_link(runs: int) -> Iterator[Row]:
    from benchmarks import bad_link as module

    link = f"{module.DELAY_SECONDS * 1000:.0f} ms and {module.RATE_BYTES_PER_SECOND / 1024:.0f} KB/s each way"
    result = module.measure(runs, module.DELAY_SECONDS, module.RATE_BYTES_PER_SECOND, browser=True)
    for client, run in result["clients"].items():
        yield Row(
            "bad_link",
            f"registration over the bad link ({link}), {client}: wall time vs floor",
            run["wall"],
            "s",
            run["floor"],
            target=Target("ratio", "<=", module.TARGET_RATIO),
        )
    for client, why in result["not_run"].items():
        yield Row("bad_link", f"registration over the bad link ({link}), {client}: wall time vs floor", not_run=why)


def purge(registrations: int) -> Iterator[Row]:
    from benchmarks import purge as module

    result = module.measure(registrations)
    yield Row(
        "purge",
        f"purge of {registrations:,} registrations with the scrub, vs deletions alone",
        result["with_scrub"],
        "s",
        result["deletions_only"],
    )


def bundle_format(records: int, record_size: int, part_size: int) -> Iterator[Row]:
    from benchmarks import bundle_format as module

    payload = [secrets.token_bytes(record_size) for _ in range(records)]
    for label, encrypted in (("encrypted", True), ("signed only", False)):
        result = module.measure(payload, part_size, encrypted)
        yield Row(
            "bundle_format",
            f"bundle of {records:,} random {record_size:,} B records, {label}, vs the record bytes",
            result["bundle_bytes"],
            "B",
            result["record_bytes"],
            target=Target("ratio", "<=", module.TARGET_RATIO),
        )
        if encrypted:
            for direction in ("write", "read"):
                yield Row(
                    "bundle_format",
                    f"records/s {'written' if direction == 'write' else 'read'}, encrypted bundle",
                    result[f"{direction}_per_second"],
                    "rec/s",
                )


def kit_sync(registrations: int, part_size: int) -> Iterator[Row]:
    from benchmarks import kit_sync as module

    result = module.measure(registrations, part_size)
    sync = f"kit sync of {registrations:,} registrations"
    yield Row(
        "kit_sync",
        f"{sync}: bundle bytes vs the ciphertexts it carries",
        result["bundle_bytes"],
        "B",
        result["ciphertext_bytes"],
        target=Target("ratio", "<=", module.TARGET_RATIO),
    )
    yield Row(
        "kit_sync",
        f"{sync}: bundle bytes vs the record bytes (ids included)",
        result["bundle_bytes"],
        "B",
        result["record_bytes"],
    )
    yield Row("kit_sync", f"{sync}: export", result["export_per_second"], "reg/s")
    yield Row("kit_sync", f"{sync}: import", result["import_per_second"], "reg/s")


def checkin(passes_checked: int, small_list: int, large_list: int) -> Iterator[Row]:
    from benchmarks import checkin as module

    list_sizes = (small_list, large_list)
    result = module.measure(passes_checked, list_sizes)
    yield Row(
        "checkin",
        f"passes checked in at a kit's desk (read, verify, look up, record), {result['checked']:,.0f} passes",
        result["desk_per_second"],
        "pass/s",
        result["bare_per_second"],
    )
    for size in list_sizes:
        yield Row(
            "checkin", f"pass-list bundle of {size:,} passes, one in ten revoked", result[f"list_bytes_{size}"], "B"
        )


def load(seconds: float, clients: int) -> Iterator[Row]:
    from benchmarks import load as module

    result = module.measure(seconds, clients)
    real = f"real server, {clients} clients, {seconds:.0f} s"
    yield Row("load", f"registrations/s, {real}", result["per_second"], "reg/s")
    for key, what in (
        ("post_p50", "POST /register latency p50"),
        ("post_p99", "POST /register latency p99"),
        ("registration_p50", "GET + POST latency p50"),
        ("registration_p99", "GET + POST latency p99"),
    ):
        yield Row("load", f"{what}, {real}", result[key] * 1000, "ms")
    yield Row("load", f"failed requests, {real}", result["failures"], target=Target("figure", "=", 0))
    yield Row(
        "load",
        f"acknowledged but lost, wrong or stored twice, {real}",
        result["problems"],
        target=Target("figure", "=", 0),
    )


def memory(registrations: int, steps: int, clients: int) -> Iterator[Row]:
    from benchmarks import memory as module
    from tests.load.process_memory import MB

    result = module.measure(registrations, steps, clients)
    start, last = result["curve"][0][1], result["curve"][-1][1]
    budget = module.TARGET_BYTES / MB
    yield Row("memory", "server VmRSS before any registration", start.rss_bytes / MB, "MB")
    for label, value in (("VmRSS", last.rss_bytes), ("VmHWM", last.hwm_bytes)):
        yield Row(
            "memory",
            f"server {label} after {registrations:,} registrations",
            value / MB,
            "MB",
            budget,
            baseline_is_budget=True,
            target=Target("figure", "<", budget),
        )
    during = f"during the {registrations:,} registrations"
    yield Row("memory", f"failed requests {during}", len(result["failures"]), target=Target("figure", "=", 0))
    yield Row(
        "memory", f"problems in the stored records {during}", len(result["problems"]), target=Target("figure", "=", 0)
    )


def login_flood(seconds: float, clients: int, logins_per_second: float, rounds: int) -> Iterator[Row]:
    from benchmarks import login_flood as module
    from tests.load.process_memory import MB

    result = module.measure(seconds, clients, logins_per_second, rounds)
    flood = f"{logins_per_second:g} bogus logins/s"
    real = f"{clients} clients, {rounds}x{seconds:.0f} s"
    for key, what, target in (
        ("p50", "p50", None),
        ("p99", "p99", Target("ratio", "<=", module.TARGET_P99_RATIO)),
    ):
        yield Row(
            "login_flood",
            f"participants' GET+POST {what}, {flood} vs none, {real}",
            result[f"flooded_{key}"] * 1000,
            "ms",
            result[f"quiet_{key}"] * 1000,
            target=target,
        )
    yield Row(
        "login_flood",
        f"registrations/s, {flood} vs none, {real}",
        result["flooded_per_second"],
        "reg/s",
        result["quiet_per_second"],
    )
    budget = module.TARGET_BYTES / MB
    for key, what in (("hwm_after", "VmHWM (its peak)"), ("rss_after", "VmRSS after the flood")):
        yield Row(
            "login_flood",
            f"server {what}, real server under {flood}",
            result[key] / MB,
            "MB",
            budget,
            baseline_is_budget=True,
            target=Target("figure", "<", budget),
        )
    yield Row(
        "login_flood",
        f"flood logins answered 503 busy (no Argon2), vs sent, {flood}",
        result["flood_busy"],
        "",
        result["flood_sent"],
    )
    yield Row(
        "login_flood",
        f"flood logins answered neither 400 nor 503, {flood}",
        result["flood_other"],
        target=Target("figure", "=", 0),
    )
    yield Row(
        "login_flood",
        f"participants' failed requests, {flood}",
        result["failures"],
        target=Target("figure", "=", 0),
    )


def staff_pages(largest: int, fetches: int) -> Iterator[Row]:
    from benchmarks import staff_pages as module

    sizes = [size for size in module.SIZES if size < largest] + [largest]
    for size, pages in module.measure(sizes, fetches).items():
        for page, (size_bytes, ms) in pages.items():
            if page == module.QUEUE:
                yield Row(
                    "staff_pages",
                    f"{page} at {size:,} registrations: bytes",
                    size_bytes,
                    "B",
                    module.QUEUE_BUDGET_BYTES,
                    baseline_is_budget=True,
                    target=Target("figure", "<=", module.QUEUE_BUDGET_BYTES),
                )
                continue
            what = f"staff list at {size:,} registrations, {page}"
            yield Row(
                "staff_pages",
                f"{what}: bytes",
                size_bytes,
                "B",
                module.PAGE_BUDGET_BYTES,
                baseline_is_budget=True,
                target=Target("figure", "<=", module.PAGE_BUDGET_BYTES),
            )
            yield Row(
                "staff_pages",
                f"{what}: median ms of {fetches} fetches",
                ms,
                "ms",
                module.PAGE_BUDGET_MS,
                baseline_is_budget=True,
                target=Target("figure", "<=", module.PAGE_BUDGET_MS),
            )


def scale(sizes: tuple[int, ...]) -> Iterator[Row]:
    from benchmarks import scale as module

    results, (first_ms, audit_ms) = module.measure(sizes)
    smallest, largest = min(sizes), max(sizes)
    for figure, by_size, _growth in module.rows(results):
        comparison, limit = figure.target.split()[-2:] if figure.target else ("", "0")
        for size, value in by_size.items():
            target = None
            if figure.target and not figure.target.startswith("growth") and size == largest:
                target = Target("figure", comparison, float(limit))
            yield Row("scale", f"{figure.what} at {size:,}", value, figure.unit, target=target)
        if figure.target.startswith("growth") and smallest in by_size and largest in by_size:
            yield Row(
                "scale",
                f"{figure.what}: growth from {smallest:,} to {largest:,}",
                by_size[largest],
                figure.unit,
                by_size[smallest],
                target=Target("ratio", comparison, float(limit)),
            )
    long_log = f"auditor page over {module.AUDIT_ENTRIES:,} log entries"
    yield Row("scale", f"{long_log}, first view of a server process (whole chain)", first_ms, "ms")
    yield Row(
        "scale",
        f"{long_log}, median of the next views",
        audit_ms,
        "ms",
        200.0,
        baseline_is_budget=True,
        target=Target("figure", "<=", 200.0),
    )


BENCHMARKS: dict[str, Callable[..., Iterator[Row]]] = {
    "registration_throughput": registration_throughput,
    "export_decrypt": export_decrypt,
    "page_sizes": page_sizes,
    "bad_link": bad_link,
    "purge": purge,
    "bundle_format": bundle_format,
    "kit_sync": kit_sync,
    "checkin": checkin,
    "load": load,
    "memory": memory,
    "staff_pages": staff_pages,
    "login_flood": login_flood,
    "scale": scale,
}


def run(name: str, quick: bool) -> Iterator[Row]:
    """The rows of one benchmark; a missing module or a crash becomes a row too, so the others still run."""
    try:
        yield from BENCHMARKS[name](**SIZES[name]["quick" if quick else "full"])
    except ModuleNotFoundError as missing:
        yield Row(name, "the whole benchmark", not_run=f"the Python module {missing.name} is not installed")
    except (Exception, SystemExit) as error:  # SystemExit: kit_sync and bundle_format stop that way on a mismatch
        traceback.print_exc()
        yield Row(name, "the whole benchmark", failure=f"{type(error).__name__}: {error}")


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"choose among {', '.join(BENCHMARKS)} (not {', '.join(unknown) or 'nothing'})"
        )
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check that every benchmark runs")
    parser.add_argument(
        "--only", type=_names, default=list(BENCHMARKS), metavar="NAME[,NAME]", help=", ".join(BENCHMARKS)
    )
    options = parser.parse_args(argv)
    quick_note = "--quick: small sizes, a smoke check only; these are not the figures the targets are about."
    if options.quick:
        print(quick_note, flush=True)
    print(table([]), flush=True)
    rows: list[Row] = []
    started = time.perf_counter()
    for name in options.only:
        began = time.perf_counter()
        for row in run(name, options.quick):
            rows.append(row)
            print(line(row.cells()), flush=True)
        print(f"({name}: {time.perf_counter() - began:.0f} s)", file=sys.stderr, flush=True)
    print(f"\nAll {len(rows)} rows, measured in {time.perf_counter() - started:.0f} s:\n")
    cells = [row.cells() for row in rows]
    widths = tuple(max([width, *(len(row[column]) for row in cells)]) for column, width in enumerate(_WIDTHS))
    print(table(cells, widths))
    print(
        "\nbaseline: measured in this same run, except where it says (budget): that is the issue's fixed limit,"
        '\nnot a measurement. ratio = figure / baseline. target "none set": no issue sets one; the figure is reported.'
        "\nA MISSED target leaves the exit status 0: this measures, the tests assert."
    )
    if options.quick:
        print(quick_note)
    return 1 if any(row.failure for row in rows) else 0
