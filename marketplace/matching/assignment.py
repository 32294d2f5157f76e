"""Optimal batch assignment: as many places filled as possible, then the largest total score.

Contract v1.1 ("Assignment across a week"): a worker may take several places of one plan, on
shifts that do not overlap and within the part-time weekly limit per employer (劳动合同法
第六十八条: 24 h), one place per shift. That is a mixed-integer program — one binary variable
per eligible (shift, worker) pair; per shift, at most its free places; per worker, at most one
of each set of shifts that overlap at one instant (the cliques of an interval graph, found by a
sweep); per worker, employer and week, the part-time hours within what is left of 24 — solved
by HiGHS (``scipy.optimize.milp``) lexicographically: first the most places, then, with that
many, the largest total score. Within the time limit the plan says whether it proved both
optimal; when HiGHS finds no plan in time, the one-place-per-worker plan below stands (always
valid), marked not optimal.

The one-place-per-worker plan (v1's rule, ``solve_arrays``): each shift with k free places
becomes k identical rows, each worker one column, a minimum-cost bipartite matching (scipy's
``min_weight_full_bipartite_matching``): an eligible pair costs ``2 − score``; every row also has
a private dummy column costing ``D = places + 3``, so a full matching always exists, and since
one more real pair saves at least ``D − 2 > places``, fewer empty places always wins.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
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
    """The chosen pairs, the places left empty per shift, and whether it is proven optimal."""

    assignments: list[Edge]
    unfilled: dict[int, int]
    optimal: bool = True

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


@dataclass(frozen=True)
class Slot:
    """A shift as the plan's rules read it: when (epoch seconds), how many places are free, and
    for a part-time shift its limit group (employer, week) and length in seconds."""

    shift_id: int
    starts: int
    ends: int
    free: int
    limit_group: tuple[int, int] | None = None

    @property
    def seconds(self) -> int:
        """The shift's length in seconds."""
        return self.ends - self.starts


WEEKLY_LIMIT_SECONDS = 24 * 3600


def _plan(slots: Sequence[Slot], chosen: list[Edge], optimal: bool) -> Plan:
    taken: dict[int, int] = {}
    for edge in chosen:
        taken[edge.shift_id] = taken.get(edge.shift_id, 0) + 1
    unfilled = {
        slot.shift_id: slot.free - taken.get(slot.shift_id, 0)
        for slot in slots
        if slot.free - taken.get(slot.shift_id, 0) > 0
    }
    chosen = sorted(chosen, key=lambda edge: (edge.shift_id, -edge.score, edge.worker_id))
    return Plan(chosen, unfilled, optimal)


def _overlap_sets(slot_of: list[Slot]) -> list[list[int]]:
    """The sets of variables (one worker's) whose shifts share an instant, maximal ones only:
    at each start, the shifts already started and not yet ended (an interval graph's cliques)."""
    order = sorted(range(len(slot_of)), key=lambda i: slot_of[i].starts)
    found: list[list[int]] = []
    for i in order:
        at = slot_of[i].starts
        active = [j for j in order if slot_of[j].starts <= at < slot_of[j].ends]
        if len(active) > 1 and not any(set(active) <= set(known) for known in found):
            found.append(active)
    return found


def solve_week(
    slots: Sequence[Slot],
    edges: Sequence[Edge],
    seconds_left: dict[tuple[int, tuple[int, int]], int],
    time_limit_s: float,
) -> Plan:
    """The optimal plan over a week's ``slots``: several places per worker where the rules allow.

    ``seconds_left`` is, per (worker, limit group), what the part-time limit still leaves after
    the worker's bookings (a pair absent from it has the whole 24 hours).
    """
    slots = [slot for slot in slots if slot.free > 0]
    by_shift = {slot.shift_id: slot for slot in slots}
    edges = [edge for edge in edges if edge.shift_id in by_shift]

    def fits_alone(edge: Edge) -> bool:
        slot = by_shift[edge.shift_id]
        if slot.limit_group is None:
            return True
        return slot.seconds <= seconds_left.get(
            (edge.worker_id, slot.limit_group), WEEKLY_LIMIT_SECONDS
        )

    edges = [edge for edge in edges if fits_alone(edge)]
    # One place per worker: always a valid plan, the floor of what the program must reach.
    fallback = solve({slot.shift_id: slot.free for slot in slots}, edges)
    if not edges:
        return _plan(slots, [], True)
    n = len(edges)
    rows: list[list[int]] = []
    coefficients: list[list[float]] = []
    upper: list[float] = []

    def add(variables: list[int], values: list[float], bound: float) -> None:
        rows.append(variables)
        coefficients.append(values)
        upper.append(bound)

    per_shift: dict[int, list[int]] = {}
    per_worker: dict[int, list[int]] = {}
    for i, edge in enumerate(edges):
        per_shift.setdefault(edge.shift_id, []).append(i)
        per_worker.setdefault(edge.worker_id, []).append(i)
    for shift_id, variables in per_shift.items():
        if len(variables) > by_shift[shift_id].free:
            add(variables, [1.0] * len(variables), by_shift[shift_id].free)
    for worker_id, variables in per_worker.items():
        if len(variables) < 2:
            continue
        slot_of = [by_shift[edges[i].shift_id] for i in variables]
        for clique in _overlap_sets(slot_of):
            add([variables[k] for k in clique], [1.0] * len(clique), 1)
        groups: dict[tuple[int, int], list[int]] = {}
        for i in variables:
            group = by_shift[edges[i].shift_id].limit_group
            if group is not None:
                groups.setdefault(group, []).append(i)
        for group, members in groups.items():
            left = seconds_left.get((worker_id, group), WEEKLY_LIMIT_SECONDS)
            lengths = [by_shift[edges[i].shift_id].seconds for i in members]
            if sum(lengths) > left:
                add(members, [float(length) for length in lengths], left)
    matrix = _matrix(rows, coefficients, n)
    deadline = time.monotonic() + time_limit_s
    most = _milp(-np.ones(n), matrix, upper, None, time_limit_s)
    if most is None:
        return Plan(fallback.assignments, fallback.unfilled, False)
    x, proven = most
    count = round(float(x.sum()))
    if count < len(fallback.assignments):  # never worse than the simple plan
        return Plan(fallback.assignments, fallback.unfilled, False)
    remaining = deadline - time.monotonic()
    scores = np.array([edge.score for edge in edges])
    best = _milp(-scores, matrix, upper, count, remaining) if proven and remaining > 0.05 else None
    if best is not None:
        x, proven = best[0], proven and best[1]
    else:
        proven = False
    chosen = [edges[i] for i in np.flatnonzero(np.round(x) == 1).tolist()]
    return _plan(slots, chosen, proven)


def _matrix(rows: list[list[int]], coefficients: list[list[float]], n: int) -> csr_matrix:
    data = [value for values in coefficients for value in values]
    columns = [variable for variables in rows for variable in variables]
    row_index = [r for r, variables in enumerate(rows) for _ in variables]
    return csr_matrix((data, (row_index, columns)), shape=(len(rows), n))


def _milp(
    cost: npt.NDArray[np.float64],
    matrix: csr_matrix,
    upper: list[float],
    at_least: int | None,
    time_limit_s: float,
) -> tuple[npt.NDArray[np.float64], bool] | None:
    """Minimise ``cost`` over binaries within the rows (and at least ``at_least`` chosen):
    the solution and whether HiGHS proved it optimal, or None when it found none in time."""
    n = len(cost)
    constraints = []
    if matrix.shape[0]:
        constraints.append(LinearConstraint(matrix, -np.inf, np.array(upper, dtype=np.float64)))
    if at_least is not None:
        constraints.append(LinearConstraint(np.ones((1, n)), at_least, np.inf))
    result = milp(
        cost,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        constraints=constraints,
        # HiGHS's presolve spends long on the dense "at least" row (13 s of a 2,000-place
        # week, past the time limit, which it does not check there); without it, 0.2 s.
        options={
            "time_limit": max(time_limit_s, 0.01),
            "mip_rel_gap": 0.0,
            "presolve": at_least is None,
        },
    )
    if result.x is None:
        return None
    return result.x, result.status == 0
