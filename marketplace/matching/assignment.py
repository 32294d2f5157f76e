"""Optimal batch assignment: as many places filled as possible, then the largest total score.

Each shift with k free places becomes k identical rows; each worker is one column (a worker
takes at most one place per request). The problem is a minimum-cost bipartite matching, solved
with scipy's ``min_weight_full_bipartite_matching`` on a sparse graph: an eligible pair costs
``2 − score`` (in [1, 2]); every row also gets a private dummy column costing
``D = places + 3``, so a full matching always exists, and since one more real pair saves at
least ``D − 2 > places`` — more than any difference in scores — fewer empty places always wins,
and among those the total score decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


@dataclass(frozen=True)
class Edge:
    """A worker who may take a place of a shift, with the match's score."""

    shift_id: int
    worker_id: int
    score: float


@dataclass(frozen=True)
class Plan:
    """The chosen pairs and the places left empty per shift."""

    assignments: list[Edge]
    unfilled: dict[int, int]

    @property
    def total_score(self) -> float:
        """The sum of the chosen pairs' scores."""
        return sum(edge.score for edge in self.assignments)


def solve(free_places: dict[int, int], edges: Sequence[Edge]) -> Plan:
    """The optimal plan for shifts with ``free_places`` over the eligible ``edges``."""
    rows: list[int] = []  # row -> shift id
    first_row: dict[int, int] = {}
    for shift_id, places in free_places.items():
        first_row[shift_id] = len(rows)
        rows.extend([shift_id] * places)
    if not rows:
        return Plan([], {})
    worker_ids = sorted({edge.worker_id for edge in edges})
    column_of = {worker_id: i for i, worker_id in enumerate(worker_ids)}
    places = len(rows)
    dummy_cost = float(places + 3)

    row_index, column_index, cost = [], [], []
    for edge in edges:
        start = first_row[edge.shift_id]
        for row in range(start, start + free_places[edge.shift_id]):
            row_index.append(row)
            column_index.append(column_of[edge.worker_id])
            cost.append(2.0 - edge.score)
    for row in range(places):  # one private dummy column per row
        row_index.append(row)
        column_index.append(len(worker_ids) + row)
        cost.append(dummy_cost)
    graph = csr_matrix(
        (np.array(cost), (np.array(row_index), np.array(column_index))),
        shape=(places, len(worker_ids) + places),
    )
    _, matched_columns = min_weight_full_bipartite_matching(graph)

    score_of = {(edge.shift_id, edge.worker_id): edge.score for edge in edges}
    assignments = []
    unfilled: dict[int, int] = {}
    for row, column in enumerate(matched_columns):
        shift_id = rows[row]
        if column < len(worker_ids):
            worker_id = worker_ids[column]
            assignments.append(Edge(shift_id, worker_id, score_of[(shift_id, worker_id)]))
        else:
            unfilled[shift_id] = unfilled.get(shift_id, 0) + 1
    assignments.sort(key=lambda edge: (edge.shift_id, -edge.score, edge.worker_id))
    return Plan(assignments, unfilled)
