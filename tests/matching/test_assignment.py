"""Batch assignment: the solver equals brute force; the endpoint plans, books and reports."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.bookings.models import Booking
from marketplace.matching.assignment import Edge, solve
from tests.conftest import shift_times


@st.composite
def instances(draw):
    shifts = draw(st.integers(min_value=1, max_value=3))
    workers = draw(st.integers(min_value=1, max_value=5))
    free = {s: draw(st.integers(min_value=0, max_value=2)) for s in range(shifts)}
    edges = [
        Edge(s, 100 + w, draw(st.integers(min_value=0, max_value=1000)) / 1000)
        for s in range(shifts)
        for w in range(workers)
        if draw(st.booleans())
    ]
    return free, edges


def brute_force(free, edges) -> tuple[int, float]:
    """The best (places filled, total score) over every way to give each worker ≤ 1 place."""
    by_worker: dict[int, list[Edge]] = {}
    for edge in edges:
        by_worker.setdefault(edge.worker_id, []).append(edge)
    best = (0, 0.0)
    for choice in itertools.product(*[[None, *options] for options in by_worker.values()]):
        taken = [edge for edge in choice if edge is not None]
        load: dict[int, int] = {}
        for edge in taken:
            load[edge.shift_id] = load.get(edge.shift_id, 0) + 1
        if all(load[s] <= free[s] for s in load):
            best = max(best, (len(taken), round(sum(edge.score for edge in taken), 9)))
    return best


@settings(max_examples=400, deadline=None)
@given(instances())
def test_the_solver_fills_the_most_places_with_the_best_total_score(instance):
    free, edges = instance
    plan = solve(free, edges)
    filled, total = brute_force(free, edges)
    assert len(plan.assignments) == filled
    assert plan.total_score == pytest.approx(total, abs=1e-9)
    # A valid plan: eligible pairs, each worker once, no shift over its places.
    assert set(plan.assignments) <= set(edges)
    assert len({edge.worker_id for edge in plan.assignments}) == len(plan.assignments)
    for shift_id, places in free.items():
        taken = sum(edge.shift_id == shift_id for edge in plan.assignments)
        assert taken + plan.unfilled.get(shift_id, 0) == places


def test_cardinality_beats_score():
    # Worker 1 is the best for both shifts, but only giving shift A to worker 2 fills both.
    plan = solve({1: 1, 2: 1}, [Edge(1, 1, 0.99), Edge(2, 1, 0.98), Edge(1, 2, 0.01)])
    assert {(e.shift_id, e.worker_id) for e in plan.assignments} == {(1, 2), (2, 1)}
    assert plan.unfilled == {}


# --- the endpoint ---------------------------------------------------------------------------


@pytest.fixture
def two_shifts(make_job, make_employer):
    employer = make_employer()
    job = make_job(
        employer=employer,
        requires_approval=True,
        shifts=[
            {**shift_times(days_ahead=5, start_hour=8, hours=4), "headcount": 2},
            {**shift_times(days_ahead=6, start_hour=8, hours=4), "headcount": 1},
        ],
    )
    return employer, job.shifts


def test_the_plan_fills_what_it_can_and_names_what_stays_empty(
    client, headers_of, two_shifts, make_worker, database
):
    employer, (first, second) = two_shifts
    worker = make_worker()
    response = client.post(
        "/api/v1/matching/assignments",
        json={"shift_ids": [first.id, second.id]},
        headers=headers_of(employer),
    )
    assert response.status_code == 200
    body = response.get_json()
    # v1.1 changes v1 (one place per worker): the one worker takes a place on both days.
    assert len(body["assignments"]) == 2 and body["unfilled"] == {str(first.id): 1}
    assert {(a["shift_id"], a["worker_id"]) for a in body["assignments"]} == {
        (first.id, worker.id),
        (second.id, worker.id),
    }
    assert body["exact"] is True and body["optimal"] is True and body["committed"] is False
    assert body["total_score"] == pytest.approx(sum(a["score"] for a in body["assignments"]))
    assert database.query(Booking).count() == 0


def test_commit_offers_the_plan_even_where_approval_is_required(
    client, headers_of, two_shifts, make_worker, database
):
    employer, (first, second) = two_shifts
    for _ in range(3):
        make_worker()
    response = client.post(
        "/api/v1/matching/assignments",
        json={"shift_ids": [first.id, second.id], "commit": True},
        headers=headers_of(employer),
    )
    body = response.get_json()
    assert body["committed"] is True and body["not_booked"] == [] and body["unfilled"] == {}
    bookings = database.query(Booking).all()
    # Contract v1.1: nobody is booked without saying yes — each place is an offer that holds it.
    assert len(bookings) == 3 and {b.status for b in bookings} == {"offered"}
    assert {a["booking_id"] for a in body["assignments"]} == {b.id for b in bookings}
    database.refresh(first)
    assert first.booked == 2


def test_only_the_shifts_side_may_assign(
    client, headers_of, auth_headers, make_user, make_employer, two_shifts
):
    _, (first, _) = two_shifts
    for stranger in (headers_of(make_employer()), auth_headers(make_user("worker"))):
        response = client.post(
            "/api/v1/matching/assignments", json={"shift_ids": [first.id]}, headers=stranger
        )
        assert response.status_code == 403


def test_unknown_shifts_are_422(client, headers_of, two_shifts):
    employer, (first, _) = two_shifts
    response = client.post(
        "/api/v1/matching/assignments",
        json={"shift_ids": [first.id, 999999]},
        headers=headers_of(employer),
    )
    assert response.status_code == 422
    assert "999999" in str(response.get_json()["errors"])


def test_an_employers_plan_shows_scores_without_the_priority_and_an_admins_with(
    client, headers_of, auth_headers, make_user, two_shifts, make_worker
):
    from datetime import timedelta

    from marketplace import clock

    employer, (first, _) = two_shifts
    helped = make_worker(difficulty_certified_on=(clock.today() - timedelta(days=30)).isoformat())
    plan = {"shift_ids": [first.id]}
    as_employer = client.post(
        "/api/v1/matching/assignments", json=plan, headers=headers_of(employer)
    )
    as_admin = client.post(
        "/api/v1/matching/assignments", json=plan, headers=auth_headers(make_user("admin"))
    )
    [seen] = as_employer.get_json()["assignments"]
    [exact] = as_admin.get_json()["assignments"]
    assert seen["worker_id"] == exact["worker_id"] == helped.id
    # The policy's priority weight (0.10) for a 就业困难 worker, and a coarser distance.
    assert exact["score"] - seen["score"] == pytest.approx(0.10, abs=0.02)
    assert as_employer.get_json()["total_score"] == pytest.approx(seen["score"])
    candidates = client.get(f"/api/v1/shifts/{first.id}/candidates", headers=headers_of(employer))
    assert candidates.get_json()[0]["score"] == seen["score"]


# --- across a week: several places per worker (contract v1.1) -------------------------------

HOUR = 3600


@st.composite
def weeks(draw):
    """Shifts of 1–3 hours starting at hours 0–5, some part-time for one employer, workers
    with some hours of that employer's week already booked."""
    from marketplace.matching.assignment import Slot

    count = draw(st.integers(min_value=1, max_value=4))
    slots = []
    for s in range(count):
        start = draw(st.integers(min_value=0, max_value=5)) * HOUR
        length = draw(st.integers(min_value=1, max_value=3)) * HOUR
        part_time = draw(st.booleans())
        slots.append(
            Slot(s, start, start + length, draw(st.integers(0, 2)), (7, 0) if part_time else None)
        )
    workers = draw(st.integers(min_value=1, max_value=3))
    edges = [
        Edge(s, 100 + w, draw(st.integers(min_value=0, max_value=1000)) / 1000)
        for s in range(count)
        for w in range(workers)
        if draw(st.booleans())
    ]
    left = {
        (100 + w, (7, 0)): draw(st.integers(min_value=0, max_value=6)) * HOUR
        for w in range(workers)
        if draw(st.booleans())
    }
    return slots, edges, left


def week_brute_force(slots, edges, left) -> tuple[int, float]:
    """The best (places, total score) over every subset of the pairs that keeps the rules."""
    by_id = {slot.shift_id: slot for slot in slots}
    best = (0, 0.0)
    for size in range(len(edges) + 1):
        for taken in itertools.combinations(edges, size):
            if all(_week_valid(taken, by_id, left)):
                best = max(best, (size, round(sum(edge.score for edge in taken), 9)))
    return best


def _week_valid(taken, by_id, left):
    from marketplace.matching.assignment import WEEKLY_LIMIT_SECONDS

    for slot in by_id.values():
        yield sum(edge.shift_id == slot.shift_id for edge in taken) <= slot.free
    workers = {edge.worker_id for edge in taken}
    for worker in workers:
        mine = [by_id[edge.shift_id] for edge in taken if edge.worker_id == worker]
        for a, b in itertools.combinations(mine, 2):
            yield a.ends <= b.starts or b.ends <= a.starts  # no overlap
        limited = sum(s.ends - s.starts for s in mine if s.limit_group is not None)
        yield limited <= left.get((worker, (7, 0)), WEEKLY_LIMIT_SECONDS) or limited == 0


@settings(max_examples=300, deadline=None)
@given(weeks())
def test_across_a_week_the_solver_fills_the_most_places_with_the_best_score(instance):
    from marketplace.matching.assignment import solve_week

    slots, edges, left = instance
    plan = solve_week(slots, edges, left, time_limit_s=10)
    assert plan.optimal
    filled, total = week_brute_force(slots, edges, left)
    assert len(plan.assignments) == filled
    assert plan.total_score == pytest.approx(total, abs=1e-6)
    by_id = {slot.shift_id: slot for slot in slots}
    assert all(_week_valid(plan.assignments, by_id, left))
    assert set(plan.assignments) <= set(edges)


def test_one_worker_takes_every_shift_of_a_week_that_does_not_overlap():
    from marketplace.matching.assignment import Slot, solve_week

    day = 24 * HOUR
    slots = [Slot(s, s * day, s * day + 4 * HOUR, 2) for s in range(7)]
    good = [Edge(s, 1, 0.9) for s in range(7)]
    plan = solve_week(slots, good, {}, time_limit_s=10)
    assert plan.optimal and len(plan.assignments) == 7  # v1 gave this worker one place


def test_the_part_time_limit_stops_a_worker_at_24_hours_with_one_employer():
    from marketplace.matching.assignment import Slot, solve_week

    day = 24 * HOUR
    slots = [Slot(s, s * day, s * day + 8 * HOUR, 1, (5, 0)) for s in range(5)]
    edges = [Edge(s, 1, 0.5 + s / 100) for s in range(5)]
    plan = solve_week(slots, edges, {}, time_limit_s=10)
    assert len(plan.assignments) == 3  # 3 × 8 h = 24 h
    assert {edge.shift_id for edge in plan.assignments} == {2, 3, 4}  # the best scores
    booked = solve_week(slots, edges, {(1, (5, 0)): 8 * HOUR}, time_limit_s=10)
    assert len(booked.assignments) == 1  # 16 h already booked that week


def test_overlapping_shifts_go_to_different_workers():
    from marketplace.matching.assignment import Slot, solve_week

    slots = [Slot(1, 0, 4 * HOUR, 1), Slot(2, 2 * HOUR, 6 * HOUR, 1)]
    edges = [Edge(1, 10, 0.9), Edge(2, 10, 0.9), Edge(2, 11, 0.1)]
    plan = solve_week(slots, edges, {}, time_limit_s=10)
    assert {(e.shift_id, e.worker_id) for e in plan.assignments} == {(1, 10), (2, 11)}
