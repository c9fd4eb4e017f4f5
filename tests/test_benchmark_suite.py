"""`python -m benchmarks` prints one table: a row per figure asked for, with baseline, ratio, target and verdict."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from app.web.i18n import LANGUAGES
from benchmarks.suite import COLUMNS, Row, Target

ROOT = Path(__file__).resolve().parent.parent
_FIGURE = re.compile(r"(-?[\d,]+(?:\.\d+)?)(?: \S+)?(?: \(budget\))?")


def _number(cell: str) -> float:
    match = _FIGURE.fullmatch(cell)
    assert match, f"not a number with its unit: {cell!r}"
    return float(match.group(1).replace(",", ""))


def _rows(lines: list[str]) -> list[dict[str, str]]:
    """The rows of a printed table, each cell by its column, after checking the header."""
    table = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines if line.startswith("|")]
    assert table[0] == list(COLUMNS)
    assert all(len(cells) == len(COLUMNS) for cells in table), "a row has lost or gained a column"
    return [dict(zip(COLUMNS, cells, strict=True)) for cells in table[2:]]


def test_the_suite_prints_each_asked_figure_as_a_row_with_numbers_and_a_verdict():
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "page_sizes,bundle_format"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "these are not the figures the targets are about" in completed.stdout
    streamed, final = completed.stdout.split("\nAll ", 1)
    rows = _rows(final.splitlines())
    assert rows == _rows(streamed.splitlines()), "each row is printed as it is measured, then in the whole table"

    measured = [row["measured"] for row in rows]
    for language in LANGUAGES:
        assert sum(f"largest participant page in {language}:" in what for what in measured) == 1, language
    for kind in ("encrypted", "signed only"):
        assert sum(f"records, {kind}, vs the record bytes" in what for what in measured) == 1, kind
    assert {row["benchmark"] for row in rows} == {"page_sizes", "bundle_format"}

    for row in rows:
        figure = _number(row["figure"])
        assert row["verdict"] in {"met", "MISSED", "-"}, row
        if row["target"] != "none set":
            baseline, ratio = _number(row["baseline"]), _number(row["ratio"])
            assert abs(ratio - figure / baseline) < 0.001, row
            assert row["verdict"] in {"met", "MISSED"}, row
    for row in rows:
        if row["benchmark"] == "page_sizes":
            assert row["baseline"].endswith("(budget)"), "a budget must not pass for a measured baseline"


def test_the_login_flood_rows_compare_participants_with_and_without_the_flood():
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "login_flood"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    rows = {row["measured"]: row for row in _rows(completed.stdout.split("\nAll ", 1)[1].splitlines())}
    p99 = next(row for what, row in rows.items() if what.startswith("participants' GET+POST p99, 8 bogus logins/s"))
    assert p99["target"] == "ratio <= 2" and p99["verdict"] in {"met", "MISSED"}
    assert abs(_number(p99["ratio"]) - _number(p99["figure"]) / _number(p99["baseline"])) < 0.001
    for peak in ("VmHWM (its peak)", "VmRSS after the flood"):
        row = next(row for what, row in rows.items() if f"server {peak}" in what)
        assert row["baseline"] == "150.0 MB (budget)" and row["target"] == "< 150.0 MB", row
    busy = next(row for what, row in rows.items() if "answered 503 busy" in what)
    assert _number(busy["figure"]) <= _number(busy["baseline"]), "busy answers are among the logins sent"
    for what in ("answered neither 400 nor 503", "participants' failed requests"):
        row = next(row for measured, row in rows.items() if what in measured)
        assert row["target"] == "= 0" and row["verdict"] in {"met", "MISSED"}, row


def test_a_missed_target_says_missed():
    target = Target("ratio", "<=", 1.05)
    assert Row("bundle_format", "bytes", 106, "B", 100, target=target).verdict() == "MISSED"
    assert Row("bundle_format", "bytes", 104, "B", 100, target=target).verdict() == "met"


def test_the_staff_pages_rows_give_bytes_and_milliseconds_of_each_list_page_against_their_budgets():
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "staff_pages"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    rows = _rows(completed.stdout.split("\nAll ", 1)[1].splitlines())
    for page in ("first page", "last page", "waitlisted, first page"):
        size = next(row for row in rows if row["measured"] == f"staff list at 300 registrations, {page}: bytes")
        assert size["baseline"] == "51,200 B (budget)" and size["target"] == "<= 51,200 B", size
        assert 1000 < _number(size["figure"]) and size["verdict"] in {"met", "MISSED"}, size
        ms = next(row for row in rows if row["measured"].startswith(f"staff list at 300 registrations, {page}: median"))
        assert ms["baseline"] == "100.0 ms (budget)" and ms["target"] == "<= 100.0 ms", ms
        assert _number(ms["figure"]) > 0 and ms["verdict"] in {"met", "MISSED"}, ms
    queue = next(row for row in rows if row["measured"] == "review queue of 20 at 300 registrations: bytes")
    assert queue["target"] == "<= 61,440 B" and 10_000 < _number(queue["figure"]), queue
