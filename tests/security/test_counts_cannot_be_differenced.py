"""A logistics reader comparing counts: the options of a field by status, by source, their totals, and the
status and field-kit counts the list of registrations shows exactly. No count withheld from the counts page can
be worked out from all of that, exactly, by adding and subtracting (checked with exact rational elimination); nor,
on small tables checked by enumeration, by using also that counts are whole, never negative, and below or above
the threshold as the page says.

The reader is modelled holding: every shown count, every shown option total, every column total and the grand
total (whether the page shows them or not: the list shows them), and so the zeros of a column whose total is 0.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from app.registrations.suppression import SMALL, WITHHELD, Cell, Total, withhold

Table = list[list[int]]


# --- The tables -------------------------------------------------------------------------------------------


def _random_field(rng: random.Random, max_rows: int, max_value: int) -> list[Table]:
    """A field's table by status, and (often) by source with the same option totals; many small counts."""
    rows, statuses = rng.randint(2, max_rows), rng.randint(2, 5)
    by_status = [[_count(rng, max_value) for _ in range(statuses)] for _ in range(rows)]
    if rng.random() < 0.4:
        return [by_status]
    sources = rng.randint(2, 4)
    by_source = []
    for row in by_status:
        split = [0] * sources
        for _ in range(sum(row)):
            split[min(int(rng.expovariate(1.2)), sources - 1)] += 1  # most online, a few from each kit
        by_source.append(split)
    return [by_status, by_source]


def _count(rng: random.Random, max_value: int) -> int:
    kind = rng.random()
    if kind < 0.3:
        return 0
    if kind < 0.7:
        return rng.randint(1, 6)
    return rng.randint(0, max_value)


# --- Exact linear recovery --------------------------------------------------------------------------------


def _unknowns(tables: list[Table], hidden: dict) -> list:
    """What the reader does not hold: withheld counts, except the zeros of a column whose total is 0."""
    known_zero = {
        Cell(t, row, column)
        for t, table in enumerate(tables)
        for column in range(len(table[0]))
        if sum(line[column] for line in table) == 0
        for row in range(len(table))
    }
    return sorted((count for count in hidden if count not in known_zero), key=str)


def _equations(tables: list[Table], unknowns: list) -> list[list[Fraction]]:
    """The coefficients, over the unknowns, of every sum the reader knows holds: each row of each table adds up
    to its option total, each column to its known total, the option totals to the grand total. What the reader
    holds goes to the other side of each equation and does not matter for what can be recovered."""
    position = {count: index for index, count in enumerate(unknowns)}

    def equation(terms: list[tuple[object, int]]) -> list[Fraction]:
        coefficients = [Fraction(0)] * len(unknowns)
        for count, sign in terms:
            if count in position:
                coefficients[position[count]] += sign
        return coefficients

    rows = len(tables[0])
    equations = [equation([(Total(row), -1)] + [(Cell(t, row, c), 1) for c in range(len(table[0]))])
                 for t, table in enumerate(tables) for row in range(rows)]  # fmt: skip
    equations += [equation([(Cell(t, row, column), 1) for row in range(rows)])
                  for t, table in enumerate(tables) for column in range(len(table[0]))]  # fmt: skip
    equations.append(equation([(Total(row), 1) for row in range(rows)]))
    return equations


def _reduced(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Gauss-Jordan elimination in exact fractions: (pivot column, row) of a basis of the rows' span."""
    basis: list[tuple[int, list[Fraction]]] = []
    for row in rows:
        row = _reduce(row, basis)
        pivot = next((index for index, value in enumerate(row) if value != 0), None)
        if pivot is None:
            continue
        row = [value / row[pivot] for value in row]
        basis = [(p, [a - b[pivot] * c for a, c in zip(b, row, strict=True)] if b[pivot] else b) for p, b in basis]
        basis.append((pivot, row))
    return basis


def _reduce(row: list[Fraction], basis: list[tuple[int, list[Fraction]]]) -> list[Fraction]:
    for pivot, base in basis:
        if row[pivot] != 0:
            factor = row[pivot]
            row = [a - factor * b for a, b in zip(row, base, strict=True)]
    return row


def linearly_recoverable(tables: list[Table], hidden: dict) -> list:
    """The withheld counts that a combination of the known sums and the shown counts gives exactly: those whose
    unit vector lies in the span of the equations over the unknowns."""
    unknowns = _unknowns(tables, hidden)
    basis = _reduced(_equations(tables, unknowns))
    found = []
    for index, count in enumerate(unknowns):
        unit = [Fraction(int(i == index)) for i in range(len(unknowns))]
        if not any(_reduce(unit, basis)):
            found.append(count)
    return found


def test_the_elimination_finds_a_count_that_the_totals_give():
    # One small count withheld alone in a row whose total is shown: total minus the rest.
    assert linearly_recoverable([[[30, 2], [40, 50]]], {Cell(0, 0, 1): SMALL}) == [Cell(0, 0, 1)]
    # Four small counts on a cycle, the totals of their rows and columns shown: none can be told.
    square = {Cell(0, r, c): SMALL for r in (0, 1) for c in (0, 1)}
    assert linearly_recoverable([[[1, 2, 30], [3, 1, 40]]], square) == []
    # Two cycles joined by one withheld count: every row and column holds two, yet the bridge is recovered.
    table = [[1, 2, 9, 9], [3, 1, 9, 9], [9, 9, 2, 1], [9, 9, 1, 3]]
    cycles = {Cell(0, r, c): SMALL for r, c in itertools.product((0, 1), (0, 1))}
    cycles |= {Cell(0, r, c): SMALL for r, c in itertools.product((2, 3), (2, 3))}
    bridge = cycles | {Cell(0, 1, 2): WITHHELD}
    assert linearly_recoverable([table], bridge) == [Cell(0, 1, 2)]


def test_the_elimination_uses_the_other_table_that_shares_the_totals():
    by_status, by_source = [[3, 30], [40, 50]], [[23, 10], [60, 30]]
    # By status alone, the small count is on a cycle through both option totals and the sum of all options.
    hidden = {Cell(0, 0, 0): SMALL, Cell(0, 1, 0): WITHHELD, Total(0): WITHHELD, Total(1): WITHHELD}
    assert linearly_recoverable([by_status], hidden) == []
    # By source, both totals are shown count by count: that gives the first, and then 33 - 30.
    assert Cell(0, 0, 0) in linearly_recoverable([by_status, by_source], hidden)


@pytest.mark.parametrize("seed", range(8))
def test_no_withheld_count_can_be_worked_out_by_comparing_the_tables_and_their_totals(seed):
    rng = random.Random(seed)
    for _ in range(150):
        tables = _random_field(rng, max_rows=8, max_value=60)
        threshold = rng.randint(2, 8)
        hidden = withhold(tables, threshold)
        _check_labels(tables, hidden, threshold)
        recovered = set(linearly_recoverable(tables, hidden)) - _given_by_the_list(tables)
        assert not recovered, f"{recovered} recovered from {tables} at {threshold}: {hidden}"


def _given_by_the_list(tables: list[Table]) -> set:
    """What the list's counts alone give, were every count of the page withheld: nothing, unless the field was
    answered by nobody at all (every column's total is 0)."""
    every = {Cell(t, r, c): WITHHELD for t, table in enumerate(tables) for r, c in
             itertools.product(range(len(table)), range(len(table[0])))}  # fmt: skip
    return set(linearly_recoverable(tables, every | {Total(row): WITHHELD for row in range(len(tables[0]))}))


def _check_labels(tables: list[Table], hidden: dict, threshold: int) -> None:
    """Every count and option total below the threshold is withheld as small; only those are."""
    for t, table in enumerate(tables):
        for row, column in itertools.product(range(len(table)), range(len(table[0]))):
            small = table[row][column] < threshold
            assert (hidden.get(Cell(t, row, column)) == SMALL) == small, (t, row, column)
    for row, line in enumerate(tables[0]):
        assert (hidden.get(Total(row)) == SMALL) == (sum(line) < threshold), row


# --- Whole, non-negative counts, and what the labels say ---------------------------------------------------


def possible_values(tables: list[Table], hidden: dict, threshold: int, *, with_shown: bool) -> dict:
    """Every value each withheld count takes over all tables that agree with what the reader holds: the column
    totals and, with_shown, every shown count; whole counts, never negative, below the threshold where the page
    says "fewer than", at or above it everywhere else. Found by enumeration: only for small tables."""
    rows = len(tables[0])
    columns = [[sum(line[c] for line in table) for c in range(len(table[0]))] for table in tables]

    def bounds(count, value: int) -> tuple[int, int]:
        if isinstance(count, Cell) and columns[count.table][count.column] == 0:
            return 0, 0
        label = hidden.get(count)
        if label is None and with_shown:
            return value, value
        return (0, threshold - 1) if label == SMALL else (threshold, 10**6)

    seen: dict = {}
    grand_total = sum(columns[0])
    for totals in _compositions(grand_total, [bounds(Total(r), sum(tables[0][r])) for r in range(rows)]):
        found = [_table_values(t, table, totals, columns[t], bounds) for t, table in enumerate(tables)]
        if all(found):
            for values in found:
                for count, taken in values.items():
                    seen.setdefault(count, set()).update(taken)
            for row, total in enumerate(totals):
                seen.setdefault(Total(row), set()).add(total)
    return {count: seen.get(count, set()) for count in hidden}


def _compositions(total: int, bounds: list[tuple[int, int]]):
    if len(bounds) == 1:
        if bounds[0][0] <= total <= bounds[0][1]:
            yield (total,)
        return
    low, high = bounds[0]
    for first in range(low, min(high, total) + 1):
        for rest in _compositions(total - first, bounds[1:]):
            yield (first, *rest)


def _table_values(t: int, table: Table, row_totals, column_totals, bounds) -> dict:
    """Each cell's values over every filling of the table with these row and column totals (empty if none)."""
    rows, width = len(table), len(table[0])
    cells = [(r, c) for r in range(rows) for c in range(width)]
    taken: dict = {}
    row_left, column_left, chosen = list(row_totals), list(column_totals), {}

    def fill(index: int) -> None:
        if index == len(cells):
            for (r, c), value in chosen.items():
                taken.setdefault(Cell(t, r, c), set()).add(value)
            return
        r, c = cells[index]
        low, high = bounds(Cell(t, r, c), table[r][c])
        high = min(high, row_left[r], column_left[c])
        if c == width - 1:
            low = max(low, row_left[r])
        if r == rows - 1:
            low = max(low, column_left[c])
        for value in range(low, high + 1):
            chosen[(r, c)] = value
            row_left[r] -= value
            column_left[c] -= value
            fill(index + 1)
            row_left[r] += value
            column_left[c] += value

    fill(0)
    return taken


def test_the_enumeration_sees_counts_pinned_by_their_bounds():
    # Two counts "fewer than 5" in a column whose known total is 8 are both 4, whatever else is withheld.
    table = [[4, 30], [4, 40]]
    hidden = {Cell(0, 0, 0): SMALL, Cell(0, 1, 0): SMALL, Cell(0, 0, 1): WITHHELD, Cell(0, 1, 1): WITHHELD,
              Total(0): WITHHELD, Total(1): WITHHELD}  # fmt: skip
    assert linearly_recoverable([table], hidden) == []
    values = possible_values([table], hidden, 5, with_shown=True)
    assert values[Cell(0, 0, 0)] == values[Cell(0, 1, 0)] == {4} and values[Cell(0, 1, 1)] == set(range(5, 66))


def _small_field(rng: random.Random) -> list[Table]:
    rows, statuses = rng.randint(2, 3), rng.randint(2, 3)
    by_status = [[_count(rng, 8) for _ in range(statuses)] for _ in range(rows)]
    if rng.random() < 0.5:
        return [by_status]
    from_kit = [rng.randint(0, min(sum(line), 3)) for line in by_status]
    return [by_status, [[sum(line) - kit, kit] for line, kit in zip(by_status, from_kit, strict=True)]]


def _value(tables: list[Table], count) -> int:
    return tables[count.table][count.row][count.column] if isinstance(count, Cell) else sum(tables[0][count.row])


@pytest.mark.parametrize("seed", range(4))
def test_no_withheld_count_is_pinned_by_whole_non_negative_counts_unless_the_labels_alone_pin_it(seed):
    """Every withheld count that could take two values if the page showed no number at all (only which ones are
    below the threshold) still can, given the page as shown."""
    rng = random.Random(1000 + seed)
    for _ in range(60):
        tables, threshold = _small_field(rng), rng.randint(2, 4)
        hidden = withhold(tables, threshold)
        shown = possible_values(tables, hidden, threshold, with_shown=True)
        unseen = possible_values(tables, hidden, threshold, with_shown=False)
        for count, values in shown.items():
            assert _value(tables, count) in values
            if len(unseen[count]) > 1:
                assert len(values) > 1, f"{count} is {values} in {tables} at {threshold}: {hidden}"
