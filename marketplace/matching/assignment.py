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
import numpy.typing as npt
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
    return solve_arrays(
        free_places,
        np.array([edge.shift_id for edge in edges], dtype=np.int64),
        np.array([edge.worker_id for edge in edges], dtype=np.int64),
        np.array([edge.score for edge in edges], dtype=np.float64),
    )


def solve_arrays(
    free_places: dict[int, int],
    shift_ids: npt.NDArray[np.int64],
    worker_ids: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float64],
) -> Plan:
    """``solve`` for edges given as three parallel arrays (the form city-scale callers have)."""
    shifts = [shift_id for shift_id, places in free_places.items() if places > 0]
    if not shifts:
        return Plan([], {})
    places_of = np.array([free_places[s] for s in shifts], dtype=np.int64)
    first_row_of = np.concatenate(([0], np.cumsum(places_of)[:-1]))
    total_places = int(places_of.sum())
    rows = np.repeat(np.array(shifts, dtype=np.int64), places_of)  # row -> shift id

    position = {shift_id: i for i, shift_id in enumerate(shifts)}
    keep = np.array([s in position for s in shift_ids.tolist()], dtype=bool)
    shift_ids, worker_ids, scores = shift_ids[keep], worker_ids[keep], scores[keep]
    shift_position = np.array([position[s] for s in shift_ids.tolist()], dtype=np.int64)
    columns, column_index = np.unique(worker_ids, return_inverse=True)

    # Each edge stands once for every place of its shift.
    copies = places_of[shift_position]
    offsets = np.arange(int(copies.sum())) - np.repeat(np.cumsum(copies) - copies, copies)
    row_index = np.repeat(first_row_of[shift_position], copies) + offsets
    column_all = np.repeat(column_index, copies)
    cost = np.repeat(2.0 - scores, copies)
    # One private dummy column per row.
    dummy_rows = np.arange(total_places)
    graph = csr_matrix(
        (
            np.concatenate([cost, np.full(total_places, float(total_places + 3))]),
            (
                np.concatenate([row_index, dummy_rows]),
                np.concatenate([column_all, len(columns) + dummy_rows]),
            ),
        ),
        shape=(total_places, len(columns) + total_places),
    )
    _, matched_columns = min_weight_full_bipartite_matching(graph)

    score_of = dict(
        zip(zip(shift_ids.tolist(), worker_ids.tolist(), strict=True), scores.tolist(), strict=True)
    )
    assignments = []
    unfilled: dict[int, int] = {}
    for row, column in enumerate(matched_columns.tolist()):
        shift_id = int(rows[row])
        if column < len(columns):
            worker_id = int(columns[column])
            assignments.append(Edge(shift_id, worker_id, score_of[(shift_id, worker_id)]))
        else:
            unfilled[shift_id] = unfilled.get(shift_id, 0) + 1
    assignments.sort(key=lambda edge: (edge.shift_id, -edge.score, edge.worker_id))
    return Plan(assignments, unfilled)
