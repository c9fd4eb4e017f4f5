"""Which counts of a field's tables to withhold, so that no count below the threshold can be worked out.

A field's counts are one or two tables with the same rows, the field's options: by status and, where field kits
are used, by source. Both share the option totals. The total of each column (how many registrations have a
status, or came from a source) and the grand total are known to every staff reader, because the list of
registrations shows them exactly; so nothing here relies on hiding them.

The shown counts and these sums are linear equations. Each count appears in exactly two of them (its row and its
column; an option total in its row of each table, or in its row and the sum of all options when there is one
table), with opposite signs once the equations are written suitably. So the counts are the edges of a directed
graph whose vertices are the equations, and the withheld counts that can differ while every equation holds are
the circulations of the graph of withheld counts. A withheld count can be worked out exactly, by adding and
subtracting what is shown, if and only if it lies on no cycle of withheld counts (it is a bridge). Rows that merely
hold two withheld counts each are not enough: a bridge between two cycles is recovered.

The page also tells more than the equations: counts are never negative, a count shown as "fewer than N" is at
most N-1, and a count withheld to protect another is at least N. These bounds can pin a count on a cycle (two
withheld counts that must add up to 0 are both 0). A count is not pinned when some cycle through it can be
shifted by one, alternately up and down, with every count on it staying within its bounds: another table then
agrees with everything shown. Finding such a cycle is finding a path in the residual graph, as for network flows.

So: every count and option total below the threshold is withheld as small. Then, for each withheld count that no
cycle can shift, the cheapest path of shown counts (by their sum) that gives it one is withheld too. A count that
no choice could protect this way is pinned by the known totals and the bounds alone (there is nothing left to
hide); it is still put on a cycle, so that no sum of what is shown gives it. Withholding more never exposes a
count, so this repeats until nothing changes. A column whose known total is 0 holds zeros that every reader knows:
its counts are shown as small and left out of the graph.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

SMALL = "small"  # below the threshold: shown as "fewer than" it
WITHHELD = "withheld"  # at or above it, not shown so that a small count cannot be worked out

Matrix = Sequence[Sequence[int]]
Vertex = tuple[object, ...]


class Cell(NamedTuple):
    table: int
    row: int
    column: int


class Total(NamedTuple):
    """An option's total, which every table of the field shares."""

    row: int


Count = Cell | Total


@dataclass(frozen=True)
class _Edge:
    count: Count
    value: int
    tail: Vertex  # the equation where the count adds in
    head: Vertex  # the equation where it takes away


def withhold(tables: Sequence[Matrix], threshold: int) -> dict[Count, str]:
    """The counts of these tables (rows: options; one or two tables sharing the option totals) not to show, each
    SMALL or WITHHELD. Column totals and the grand total are known to readers anyway and never in the result."""
    if not 1 <= len(tables) <= 2 or threshold < 1:
        raise ValueError("one or two tables, and a threshold of at least 1")
    rows = len(tables[0])
    totals = [sum(row) for row in tables[0]]
    if any(len(table) != rows or [sum(row) for row in table] != totals for table in tables):
        raise ValueError("the tables of one field have the same rows and the same row totals")
    edges, withheld = _graph(tables, totals, threshold)
    for table_number, table in enumerate(tables):
        for column in _zero_columns(table):
            for row in range(rows):
                withheld[Cell(table_number, row, column)] = SMALL
    protection = _Protection(edges, withheld, threshold)
    while protection.one_pass():
        pass
    return withheld


def _zero_columns(table: Matrix) -> list[int]:
    width = len(table[0]) if table else 0
    return [column for column in range(width) if not any(row[column] for row in table)]


def _graph(tables: Sequence[Matrix], totals: list[int], threshold: int) -> tuple[list[_Edge], dict[Count, str]]:
    """Every count not known to all as an edge (signs chosen so each is +1 in one equation and -1 in the other),
    and the ones withheld as small."""
    edges = []
    for table_number, table in enumerate(tables):
        zero = set(_zero_columns(table))
        for row, column in itertools.product(range(len(table)), range(len(table[0]) if table else 0)):
            if column in zero:
                continue
            ends: tuple[Vertex, Vertex] = (("row", table_number, row), ("column", table_number, column))
            tail, head = ends if table_number == 0 else ends[::-1]
            edges.append(_Edge(Cell(table_number, row, column), table[row][column], tail, head))
    for row, total in enumerate(totals):
        tail = ("row", 1, row) if len(tables) == 2 else ("all options",)
        edges.append(_Edge(Total(row), total, tail, ("row", 0, row)))
    return edges, {edge.count: SMALL for edge in edges if edge.value < threshold}


class _Protection:
    def __init__(self, edges: list[_Edge], withheld: dict[Count, str], threshold: int) -> None:
        self.edges, self.withheld, self.threshold = edges, withheld, threshold
        self.values = {edge.count: edge.value for edge in edges}
        self.touching: dict[Vertex, list[_Edge]] = {}
        for edge in edges:
            self.touching.setdefault(edge.tail, []).append(edge)
            self.touching.setdefault(edge.head, []).append(edge)

    def one_pass(self) -> bool:
        """Protect every withheld count in turn, smallest first; True if anything more was withheld."""
        changed = False
        for edge in sorted(self.edges, key=lambda edge: (edge.value, str(edge.count))):
            if edge.count not in self.withheld or self._can_shift(edge):
                continue
            path = self._cheapest_shift(edge)
            if path is None and self._is_bridge(edge):
                path = self._cheapest_path(edge, edge.head, edge.tail, directed=False)
            for count in path or ():
                self.withheld[count] = WITHHELD
                changed = True
        return changed

    def _bounds(self, edge: _Edge) -> tuple[int, float]:
        if self.withheld.get(edge.count) == SMALL:
            return 0, self.threshold - 1
        return self.threshold, float("inf")  # a shown count, were it withheld, is known to be at least this

    def _arcs(self, vertex: Vertex, avoid: _Edge, directed: bool) -> Iterator[tuple[_Edge, Vertex]]:
        """The counts that can move from this vertex (up if it is their tail, down if their head), and where to."""
        for edge in self.touching.get(vertex, ()):
            if edge is avoid:
                continue
            low, high = self._bounds(edge)
            if vertex == edge.tail and (not directed or edge.value + 1 <= high):
                yield edge, edge.head
            if vertex == edge.head and (not directed or edge.value - 1 >= low):
                yield edge, edge.tail

    def _reaches(self, start: Vertex, goal: Vertex, avoid: _Edge, directed: bool) -> bool:
        """Through withheld counts only."""
        seen, waiting = {start}, [start]
        while waiting:
            vertex = waiting.pop()
            if vertex == goal:
                return True
            for edge, following in self._arcs(vertex, avoid, directed):
                if edge.count in self.withheld and following not in seen:
                    seen.add(following)
                    waiting.append(following)
        return False

    def _can_shift(self, edge: _Edge) -> bool:
        low, high = self._bounds(edge)
        up = edge.value + 1 <= high and self._reaches(edge.head, edge.tail, edge, directed=True)
        return up or (edge.value - 1 >= low and self._reaches(edge.tail, edge.head, edge, directed=True))

    def _is_bridge(self, edge: _Edge) -> bool:
        return not self._reaches(edge.head, edge.tail, edge, directed=False)

    def _cheapest_shift(self, edge: _Edge) -> list[Count] | None:
        low, high = self._bounds(edge)
        ways = []
        if edge.value + 1 <= high:  # up along the count, and back round through others
            ways.append(self._cheapest_path(edge, edge.head, edge.tail, directed=True))
        if edge.value - 1 >= low:
            ways.append(self._cheapest_path(edge, edge.tail, edge.head, directed=True))
        found = [path for path in ways if path is not None]
        return min(found, key=self._cost) if found else None

    def _cost(self, counts: list[Count]) -> tuple[int, int]:
        return sum(self.values[count] for count in counts), len(counts)

    def _cheapest_path(self, avoid: _Edge, start: Vertex, goal: Vertex, directed: bool) -> list[Count] | None:
        """The shown counts to withhold, least in sum (then in number), for a path from start to goal that does not
        use ``avoid``: through withheld counts for free, and shown ones as if withheld. None if there is none."""
        best: dict[Vertex, tuple[int, int]] = {start: (0, 0)}
        came_by: dict[Vertex, tuple[Vertex, _Edge]] = {}
        waiting: list[tuple[int, int, str, Vertex]] = [(0, 0, str(start), start)]
        while waiting:
            cost, number, _order, vertex = heapq.heappop(waiting)
            if (cost, number) > best[vertex]:
                continue
            if vertex == goal:
                break
            for edge, following in self._arcs(vertex, avoid, directed):
                step = (0, 0) if edge.count in self.withheld else (edge.value, 1)
                reached = (cost + step[0], number + step[1])
                if following not in best or reached < best[following]:
                    best[following] = reached
                    came_by[following] = (vertex, edge)
                    heapq.heappush(waiting, (*reached, str(following), following))
        if goal not in best:
            return None
        path, vertex = [], goal
        while vertex != start:
            vertex, edge = came_by[vertex]
            if edge.count not in self.withheld:
                path.append(edge.count)
        return path
