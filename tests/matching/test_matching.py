"""Matching: every hard rule excludes, each component ranks, ties are stable, queries bounded."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace import clock
from marketplace.employers.models import Employer
from marketplace.matching import scoring
from marketplace.subsidies.rules.facts import WorkerFacts
from marketplace.subsidies.rules.priority import priority
from marketplace.workers import availability
from tests.conftest import CITY_POINTS, shift_times

SITE = CITY_POINTS["wuxi"]


def at_distance(km: float) -> dict[str, float]:
    """A point ``km`` north of the workplace."""
    return {"lat": SITE["lat"] + km / 110.574, "lon": SITE["lon"]}


@pytest.fixture(autouse=True, params=["index", "database"])
def ranking(request, app):
    """Every candidates test runs against both ways of ranking."""
    app.config["MATCHING_INDEX"] = request.param == "index"
    yield request.param
    app.config["MATCHING_INDEX"] = True


@pytest.fixture
def shift(make_job):
    # Next week's Wednesday, 09:00–13:00, part-time cleaning.
    today = clock.local_now().date()
    days = 7 - today.weekday() + 2
    return make_job(
        shifts=[{**shift_times(days_ahead=days, start_hour=9, hours=4), "headcount": 3}]
    ).shifts[0]


@pytest.fixture
def ask(client, auth_headers, make_user):
    """The candidates of a shift as an admin sees them: every component, exact distances.

    The shift's employer sees them coarser (tested below, "what employers see").
    """
    admin = auth_headers(make_user("admin"))

    def candidates(shift, **query):
        response = client.get(
            f"/api/v1/shifts/{shift.id}/candidates", query_string=query, headers=admin
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return candidates


@pytest.fixture
def ask_as_employer(client, headers_of, database):
    def candidates(shift, **query):
        employer = database.get(Employer, shift.job.employer_id)
        response = client.get(
            f"/api/v1/shifts/{shift.id}/candidates",
            query_string=query,
            headers=headers_of(employer),
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return candidates


def ids(items) -> list[int]:
    return [item["worker_id"] for item in items]


# --- hard rules -----------------------------------------------------------------------------


def test_a_worker_who_meets_every_rule_is_a_candidate_with_components(ask, shift, make_worker):
    worker = make_worker(location=at_distance(2))
    [candidate] = ask(shift)
    assert candidate["worker_id"] == worker.id
    assert candidate["distance_km"] == pytest.approx(2, abs=0.02)
    assert set(candidate["components"]) == {
        "distance",
        "skills",
        "reliability",
        "rating",
        "priority",
        "favourite",
    }
    assert all(0 <= value <= 1 for value in candidate["components"].values())
    assert 0 <= candidate["score"] <= 1
    assert candidate["components"]["distance"] == pytest.approx(1 - 2 / 20, abs=0.001)


def test_a_candidate_is_written_exactly_as_the_candidate_schema_writes_it(ask, shift, make_worker):
    # The endpoint writes its items itself (marshmallow's dump of a list is a good part of a
    # request); the schema stays the contract, so both must write every field the same way.
    from marketplace.matching.ranking import Ranked, Shown
    from marketplace.matching.routes import candidate_item
    from marketplace.matching.schemas import CandidateSchema

    make_worker(location=at_distance(1))
    make_worker(location=at_distance(3), skills=["electrician"])
    answered = ask(shift)
    ranked = [
        Ranked(
            worker_id=item["worker_id"],
            shift_id=shift.id,
            score=item["score"],
            distance_km=item["distance_km"],
            components=item["components"],
            to_employer=Shown(item["score"] - 0.05, 1.5, {"distance": 0.9, "skills": 0.5}),
        )
        for item in answered
    ]
    partial = Ranked(
        1, shift.id, 0.5, 1.25, {"distance": 1, "skills": 0.25}, Shown(0.4, 1.5, {"skills": 1})
    )
    for rank, match in enumerate([*ranked, partial], start=1):
        for employer_side, seen in ((False, match), (True, match.to_employer)):
            person = {
                "display_name": "王*",
                "name": None,
                "skills": ["cleaning"],
                "rating": 4.5,
                "reliability": 0.9,
                "completed_shifts": 3,
            }
            expected = {**vars(seen), **person, "worker_id": match.worker_id, "rank": rank}
            written = candidate_item(match, rank, employer_side, person)
            assert written == CandidateSchema().dump(expected)
    assert len(answered) == 2


def test_another_citys_worker_is_never_a_candidate(ask, shift, make_worker):
    make_worker(city="xining")
    assert ask(shift) == []


def test_workers_beyond_their_reach_are_excluded(ask, shift, make_worker):
    near = make_worker(location=at_distance(4.9), max_distance_km=5)
    make_worker(location=at_distance(5.2), max_distance_km=5)
    far_but_willing = make_worker(location=at_distance(25), max_distance_km=30)
    assert sorted(ids(ask(shift))) == sorted([near.id, far_but_willing.id])


def test_the_shift_must_lie_inside_the_workers_availability(ask, shift, make_worker):
    wednesday = 2
    fits = make_worker(availability=[{"weekday": wednesday, "start": "08:30", "end": "13:00"}])
    make_worker(availability=[{"weekday": wednesday, "start": "09:30", "end": "18:00"}])
    make_worker(availability=[{"weekday": wednesday + 1, "start": "00:00", "end": "24:00"}])
    any_time = make_worker(availability=[])
    assert sorted(ids(ask(shift))) == sorted([fits.id, any_time.id])


def test_required_skills_are_all_needed(ask, make_job, make_worker):
    shift = make_job(required_skills=["cleaning", "elderly_care"]).shifts[0]
    both = make_worker(skills=["cleaning", "elderly_care", "cooking"])
    make_worker(skills=["cleaning"])
    assert ids(ask(shift)) == [both.id]


def test_an_overlapping_booking_excludes_and_a_back_to_back_one_does_not(
    ask, shift, make_job, make_worker, client, headers_of
):
    busy, free = make_worker(), make_worker()
    start = shift.starts_at
    overlapping = make_job(
        shifts=[
            {
                "starts_at": (start + timedelta(hours=3)).isoformat(),
                "ends_at": (start + timedelta(hours=6)).isoformat(),
                "headcount": 1,
            }
        ]
    )
    after = make_job(
        shifts=[
            {
                "starts_at": shift.ends_at.isoformat(),
                "ends_at": (shift.ends_at + timedelta(hours=2)).isoformat(),
                "headcount": 1,
            }
        ]
    )
    assert (
        client.post(
            f"/api/v1/shifts/{overlapping.shifts[0].id}/bookings", headers=headers_of(busy)
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/shifts/{after.shifts[0].id}/bookings", headers=headers_of(free)
        ).status_code
        == 201
    )
    assert ids(ask(shift)) == [free.id]


def test_the_part_time_weekly_limit_must_still_hold(
    ask, shift, make_job, make_worker, client, headers_of, database
):
    employer = database.get(Employer, shift.job.employer_id)
    worker, other = make_worker(), make_worker()
    # 21 hours with the same employer earlier that week (Mon and Tue, 10.5 h each): 21 + 4 > 24.
    monday = shift.starts_at - timedelta(days=2)
    earlier = make_job(
        employer=employer,
        shifts=[
            {
                "starts_at": (monday + timedelta(days=d, hours=-2)).isoformat(),
                "ends_at": (monday + timedelta(days=d, hours=8, minutes=30)).isoformat(),
                "headcount": 1,
            }
            for d in (0, 1)
        ],
    )
    for booked_shift in earlier.shifts:
        assert (
            client.post(
                f"/api/v1/shifts/{booked_shift.id}/bookings", headers=headers_of(worker)
            ).status_code
            == 201
        )
    assert ids(ask(shift)) == [other.id]


# (booked: (day from the week's Monday, start "HH:MM" city time, minutes), the new shift's minutes,
#  whether the booked work is for the same employer) → whether the new shift is allowed.
PART_TIME_WEEKS = {
    "20 h booked, 4 h more is exactly 24": (
        [(0, "08:00", 600), (1, "08:00", 600)],
        240,
        True,
        True,
    ),
    "20 h booked, a minute past 24": ([(0, "08:00", 600), (1, "08:00", 600)], 241, True, False),
    "Monday 00:30 city time is in the week": (
        [(0, "00:30", 600), (1, "08:00", 600)],
        241,
        True,
        False,
    ),
    "work starting the Sunday before is another week": (
        [(-1, "14:00", 600), (0, "08:00", 600), (1, "08:00", 600)],
        240,
        True,
        True,
    ),
    "another employer's hours do not count": (
        [(0, "08:00", 600), (1, "08:00", 600)],
        241,
        False,
        True,
    ),
}


@pytest.mark.parametrize(
    "booked, minutes, same_employer, allowed", PART_TIME_WEEKS.values(), ids=PART_TIME_WEEKS.keys()
)
def test_every_form_of_the_part_time_limit_is_the_rule(
    booked,
    minutes,
    same_employer,
    allowed,
    ask,
    make_job,
    make_employer,
    make_worker,
    client,
    headers_of,
):
    """One rule (bookings.part_time): booking checks it, both rankings (arrays, SQL) apply it."""
    from datetime import datetime
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    city_time = ZoneInfo("Asia/Shanghai")
    today = clock.local_now().date()
    monday = datetime.combine(today + timedelta(days=14 - today.weekday()), clock_time(), city_time)

    def at(day, start, length):
        hour, minute = map(int, start.split(":"))
        begins = monday + timedelta(days=day, hours=hour, minutes=minute)
        ends = begins + timedelta(minutes=length)
        return {"starts_at": begins.isoformat(), "ends_at": ends.isoformat(), "headcount": 2}

    employer = make_employer()
    worker, other = make_worker(), make_worker()
    earlier = make_job(
        employer=employer if same_employer else make_employer(),
        shifts=[at(*part) for part in booked],
    )
    for booked_shift in earlier.shifts:
        response = client.post(
            f"/api/v1/shifts/{booked_shift.id}/bookings", headers=headers_of(worker)
        )
        assert response.status_code == 201, response.get_json()
    new = make_job(employer=employer, shifts=[at(2, "09:00", minutes)]).shifts[0]
    expected = [worker.id, other.id] if allowed else [other.id]
    assert sorted(ids(ask(new))) == sorted(expected)
    answer = client.post(f"/api/v1/shifts/{new.id}/bookings", headers=headers_of(worker))
    assert answer.status_code == (201 if allowed else 409), answer.get_json()


def test_a_worker_already_on_the_shift_is_not_a_candidate(
    ask, shift, make_worker, client, headers_of
):
    booked, other = make_worker(), make_worker()
    client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=headers_of(booked))
    assert ids(ask(shift)) == [other.id]


# --- ranking --------------------------------------------------------------------------------


def test_closer_ranks_higher(ask, shift, make_worker):
    far, near = make_worker(location=at_distance(8)), make_worker(location=at_distance(1))
    assert ids(ask(shift)) == [near.id, far.id]


def test_more_of_the_jobs_skills_ranks_higher(ask, make_job, make_worker):
    # 家政 jobs value housekeeping and cleaning.
    shift = make_job(category="家政").shifts[0]
    one, both = make_worker(skills=["cleaning"]), make_worker(skills=["cleaning", "housekeeping"])
    ranked = ask(shift)
    assert ids(ranked) == [both.id, one.id]
    assert [c["components"]["skills"] for c in ranked] == [1.0, 0.5]


def test_reliability_ranks_and_unknown_is_neutral(ask, shift, make_worker, database):
    steady, shaky, newcomer = make_worker(), make_worker(), make_worker()
    steady.reliability, shaky.reliability = 1.0, 0.2
    database.commit()
    ranked = ask(shift)
    assert ids(ranked) == [steady.id, newcomer.id, shaky.id]
    assert ranked[1]["components"]["reliability"] == 0.5


def test_rating_ranks_and_unknown_is_neutral(ask, shift, make_worker, database):
    loved, disliked, newcomer = make_worker(), make_worker(), make_worker()
    loved.rating, disliked.rating = Decimal("4.80"), Decimal("2.00")
    database.commit()
    ranked = ask(shift)
    assert ids(ranked) == [loved.id, newcomer.id, disliked.id]
    assert ranked[0]["components"]["rating"] == pytest.approx(0.95)


def test_the_policy_priority_boosts_difficulty_then_unemployed_and_graduates(
    ask, shift, make_worker
):
    today = clock.today()
    nobody = make_worker()
    unemployed = make_worker(unemployment_registered_on=(today - timedelta(days=40)).isoformat())
    graduate = make_worker(graduated_on=(today - timedelta(days=100)).isoformat())
    difficulty = make_worker(difficulty_certified_on=(today - timedelta(days=40)).isoformat())
    ranked = ask(shift)
    assert ids(ranked)[0] == difficulty.id and ids(ranked)[-1] == nobody.id
    assert set(ids(ranked)[1:3]) == {unemployed.id, graduate.id}
    by_id = {c["worker_id"]: c for c in ranked}
    # The policy's matching_priority_weight (0.10) times the difference in priority.
    assert by_id[difficulty.id]["score"] - by_id[nobody.id]["score"] == pytest.approx(
        0.10, abs=1e-6
    )
    assert by_id[unemployed.id]["score"] - by_id[nobody.id]["score"] == pytest.approx(
        0.05, abs=1e-6
    )


# --- what employers see ---------------------------------------------------------------------


def test_employers_see_no_priority_and_a_score_without_it_but_the_order_applies_it(
    ask, ask_as_employer, shift, make_worker
):
    """Finding 2: the priority told an employer who is registered unemployed or 就业困难."""
    today = clock.today()
    nobody = make_worker(location=at_distance(1))
    difficulty = make_worker(
        location=at_distance(1), difficulty_certified_on=(today - timedelta(days=40)).isoformat()
    )
    exact = {c["worker_id"]: c for c in ask(shift)}
    seen = ask_as_employer(shift)
    assert ids(seen) == [difficulty.id, nobody.id]
    assert [c["rank"] for c in seen] == [1, 2]
    for candidate in seen:
        assert "priority" not in candidate["components"]
    # Same distance square, same shown score: nothing tells the two apart but the order.
    assert seen[0]["score"] == seen[1]["score"]
    assert seen[0]["components"] == seen[1]["components"]
    assert exact[difficulty.id]["score"] - exact[nobody.id]["score"] == pytest.approx(0.10)


def test_employers_see_distances_rounded_up_to_half_kilometres_from_a_square_not_the_door(
    ask_as_employer, shift, make_worker
):
    """Finding 2: three-decimal distances from three shifts trilaterated a worker's home."""
    worker = make_worker(location=at_distance(1.234))
    [candidate] = ask_as_employer(shift)
    assert candidate["distance_km"] in (1.0, 1.5, 2.0)
    assert candidate["distance_km"] * 2 == int(candidate["distance_km"] * 2)
    # A neighbour in the same half-kilometre square is at the same distance, to the metre.
    neighbour = make_worker(
        location={"lat": worker.lat + 0.0004, "lon": worker.lon + 0.0004},
    )
    by_id = {c["worker_id"]: c for c in ask_as_employer(shift)}
    assert by_id[neighbour.id]["distance_km"] == by_id[worker.id]["distance_km"]
    assert by_id[neighbour.id]["components"] == by_id[worker.id]["components"]


def test_probing_with_many_shifts_finds_the_square_never_the_home(
    ask_as_employer, make_job, make_worker
):
    """An employer posting shifts along a line sees where 1.0 km turns into 1.5 km: that edge
    is measured from the square's centre, so it moves with the square, never with the door."""
    from marketplace.common import geo

    home = {"lat": SITE["lat"] + 0.0011, "lon": SITE["lon"] + 0.0013}
    make_worker(location=home)
    moved = {"lat": home["lat"] + 0.0021, "lon": home["lon"] + 0.0019}  # same square
    assert (
        geo.coarse_distance_km(SITE["lat"], SITE["lon"], [home["lat"]], [home["lon"]])[0]
        == geo.coarse_distance_km(SITE["lat"], SITE["lon"], [moved["lat"]], [moved["lon"]])[0]
    )
    seen = []
    for step in range(6):
        place = {"lat": SITE["lat"] + step * 0.003, "lon": SITE["lon"]}
        shift = make_job(location=place, shifts=[{**shift_times(days_ahead=9), "headcount": 1}])
        [candidate] = ask_as_employer(shift.shifts[0])
        seen.append(candidate["distance_km"])
    square = geo.COARSE_SQUARE_DEGREES
    centre = (
        (home["lat"] // square + 0.5) * square,
        (home["lon"] // square + 0.5) * square,
    )
    expected = [
        float(
            geo.coarse_distance_km(
                SITE["lat"] + step * 0.003, SITE["lon"], [centre[0]], [centre[1]]
            )[0]
        )
        for step in range(6)
    ]
    assert seen == expected


def test_an_admin_sees_every_component_and_the_exact_distance(ask, shift, make_worker):
    make_worker(location=at_distance(1.234))
    [candidate] = ask(shift)
    assert "priority" in candidate["components"] and candidate["rank"] == 1
    assert candidate["distance_km"] == pytest.approx(1.234, abs=0.02)
    assert candidate["distance_km"] * 2 != int(candidate["distance_km"] * 2)


def test_ties_are_broken_by_distance_then_worker_id(ask, shift, make_worker):
    first, second, third = (make_worker(location=at_distance(3)) for _ in range(3))
    assert ids(ask(shift)) == [first.id, second.id, third.id]
    assert ids(ask(shift, limit=2)) == [first.id, second.id]


# --- who may ask ----------------------------------------------------------------------------


def test_only_the_shifts_side_and_admins_see_candidates(
    client, shift, make_worker, make_employer, make_user, auth_headers, headers_of
):
    path = f"/api/v1/shifts/{shift.id}/candidates"
    assert client.get(path, headers=auth_headers(make_user("admin"))).status_code == 200
    for stranger in (
        headers_of(make_worker()),
        headers_of(make_employer()),
        auth_headers(make_user("official", city="wuxi")),
    ):
        assert client.get(path, headers=stranger).status_code == 403


def test_the_candidates_endpoint_issues_a_bounded_number_of_queries(
    client, shift, make_worker, headers_of, database, count_queries
):
    headers = headers_of(database.get(Employer, shift.job.employer_id))
    path = f"/api/v1/shifts/{shift.id}/candidates"
    window = [{"weekday": 2, "start": "08:00", "end": "14:00"}]

    def queries_of_one_request(expected: int) -> int:
        before = count_queries()
        assert len(client.get(path, headers=headers).get_json()) == expected
        return count_queries() - before

    make_worker(availability=window)
    few = queries_of_one_request(1)
    for _ in range(40):
        make_worker(skills=["cleaning", "cooking"], availability=window)
    many = queries_of_one_request(20)
    again = queries_of_one_request(20)
    # Auth, the shift and its job, the side check, the bookings that rule workers out, the
    # workers (the index's horizon and changes, and its overlay; or ranked ids and their pool),
    # and who the page's workers are (rows, skills, bookings with the employer), the employer's
    # blocks and favourites, the policies in force (their published versions: the priority's
    # weight): never one query per candidate.
    assert max(few, many, again) <= 16


# --- the worker's side ----------------------------------------------------------------------


def test_recommended_shifts_are_the_ones_the_worker_can_take_best_first(
    client, make_job, make_worker, headers_of
):
    worker = make_worker(skills=["cleaning"], max_distance_km=10)
    near = make_job(location=at_distance(1)).shifts[0]
    further = make_job(location=at_distance(6)).shifts[0]
    make_job(location=at_distance(12))  # out of reach
    make_job(required_skills=["elderly_care"])  # lacks the skill
    make_job(city="xining", district="城中区", location=CITY_POINTS["xining"])  # another city
    response = client.get("/api/v1/workers/me/recommended-shifts", headers=headers_of(worker))
    items = response.get_json()
    assert [item["shift_id"] for item in items] == [near.id, further.id]
    assert items[0]["title"] == "商场保洁" and items[0]["distance_km"] == pytest.approx(1, abs=0.01)
    assert set(items[0]["components"]) == {
        "distance",
        "skills",
        "reliability",
        "rating",
        "priority",
        "favourite",
        "runway",  # the worker's own view only: candidates never have it
    }
    assert items[0]["components"]["runway"] == 0.0  # no subsidy threshold pending


# --- the pieces -----------------------------------------------------------------------------


months = st.one_of(st.none(), st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)))
GROUP_START = {
    "difficulty": "difficulty_certified_on",
    "unemployed": "unemployment_registered_on",
    "graduate": "graduated_on",
}


def facts_of(starts: dict[str, date | None], ends: dict[str, date | None]) -> WorkerFacts:
    """A worker whose group statuses start and end on these days (None: not in it / holds on)."""
    return WorkerFacts(
        worker_id=1,
        city="wuxi",
        resident=True,
        **{GROUP_START[group]: day for group, day in starts.items()},
        group_ends={group: day for group, day in ends.items() if day is not None},
    )


def vector_of(starts, ends, as_of: date, window: int) -> float:
    """The array form of the priority for one worker."""
    import numpy as np

    def pair(group: str):
        return (
            np.array([scoring.month_index(starts[group])]),
            np.array([scoring.month_index(ends[group])]),
        )

    groups = scoring.GroupMonths(pair("difficulty"), pair("unemployed"), pair("graduate"))
    return float(scoring.priority_vector(groups, as_of, window)[0])


@settings(max_examples=300, deadline=None)
@given(
    starts=st.fixed_dictionaries({group: months for group in GROUP_START}),
    ends=st.fixed_dictionaries({group: months for group in GROUP_START}),
    as_of=st.dates(min_value=date(2018, 1, 1), max_value=date(2030, 12, 31)),
)
def test_the_vectorised_priority_is_the_policy_rule(starts, ends, as_of):
    ends = {
        group: end if starts[group] and end and end >= starts[group] else None
        for group, end in ends.items()
    }
    assert vector_of(starts, ends, as_of, 24) == float(priority(facts_of(starts, ends), as_of, 24))


# (difficulty, unemployed, graduated, as of, the policy's graduate window, the rule's answer)
PRIORITY_TABLE = [
    (None, None, None, date(2026, 3, 15), 24, "0"),
    (date(2026, 3, 31), None, None, date(2026, 3, 15), 24, "1.0"),  # counts from its month
    (date(2026, 4, 1), None, None, date(2026, 3, 15), 24, "0"),
    (None, date(2025, 1, 1), None, date(2026, 3, 15), 24, "0.5"),
    (date(2025, 1, 1), date(2025, 1, 1), None, date(2026, 3, 15), 24, "1.0"),
    (None, None, date(2024, 3, 31), date(2026, 3, 15), 24, "0.5"),  # G+24
    (None, None, date(2024, 2, 29), date(2026, 3, 15), 24, "0"),  # G+25
    (None, None, date(2024, 3, 31), date(2026, 3, 15), 23, "0"),  # a shorter window
    (None, None, date(2024, 2, 29), date(2026, 3, 15), 36, "0.5"),  # a longer one
    (None, None, date(2026, 6, 30), date(2026, 3, 15), 24, "0"),  # not yet graduated
]
# Statuses an official ended: (the group, its start, its end, as of, the rule's answer)
ENDED_TABLE = [
    ("difficulty", date(2025, 1, 1), date(2026, 3, 1), date(2026, 3, 15), "1.0"),  # its end month
    ("difficulty", date(2025, 1, 1), date(2026, 2, 28), date(2026, 3, 15), "0"),  # after it
    ("unemployed", date(2025, 1, 1), date(2026, 3, 31), date(2026, 3, 15), "0.5"),
    ("unemployed", date(2025, 1, 1), date(2026, 2, 1), date(2026, 3, 15), "0"),
    ("graduate", date(2025, 7, 1), date(2026, 3, 10), date(2026, 3, 15), "0.5"),
    ("graduate", date(2025, 7, 1), date(2026, 2, 10), date(2026, 3, 15), "0"),
]


def every_form(database, make_worker, starts, ends, as_of, window) -> tuple[Decimal, float, float]:
    """The rule, the arrays and the SQL, for one worker with these statuses."""
    from sqlalchemy import select

    from marketplace.matching.topk import priority_sql
    from marketplace.workers.models import Worker

    rule = priority(facts_of(starts, ends), as_of, window)
    dates = {GROUP_START[group]: day for group, day in starts.items()}
    with time_travel_after(dates):
        worker = make_worker(**{k: v.isoformat() for k, v in dates.items() if v is not None})
    for group, day in ends.items():  # what an official's end writes to the worker's row
        setattr(database.get(Worker, worker.id), f"{group}_ends_on", day)
    database.commit()
    in_sql = database.scalar(select(priority_sql(as_of, window)).where(Worker.id == worker.id))
    return rule, vector_of(starts, ends, as_of, window), float(in_sql)


@pytest.mark.parametrize(
    ("difficulty", "unemployed", "graduated", "as_of", "window", "expected"), PRIORITY_TABLE
)
def test_every_form_of_the_priority_is_the_rule(
    difficulty, unemployed, graduated, as_of, window, expected, database, make_worker
):
    """One rule (subsidies.rules.priority), two forms of it for many workers: arrays and SQL."""
    starts = {"difficulty": difficulty, "unemployed": unemployed, "graduate": graduated}
    ends = dict.fromkeys(GROUP_START)
    rule, vector, in_sql = every_form(database, make_worker, starts, ends, as_of, window)
    assert rule == Decimal(expected)
    assert vector == in_sql == float(rule)


@pytest.mark.parametrize(("group", "start", "end", "as_of", "expected"), ENDED_TABLE)
def test_an_ended_status_gives_the_priority_through_its_end_month_only(
    group, start, end, as_of, expected, database, make_worker
):
    starts = dict.fromkeys(GROUP_START) | {group: start}
    ends = dict.fromkeys(GROUP_START) | {group: end}
    rule, vector, in_sql = every_form(database, make_worker, starts, ends, as_of, 24)
    assert rule == Decimal(expected)
    assert vector == in_sql == float(rule)


def time_travel_after(dates):
    """A clock after every group date, so the profile may declare them (none in the future)."""
    import time_machine

    latest = max([d for d in dates.values() if d is not None], default=date(2026, 1, 1))
    return time_machine.travel(max(latest, date(2026, 1, 1)).isoformat() + "T12:00:00+08:00")


minutes = st.integers(min_value=0, max_value=1440)


@settings(max_examples=500, deadline=None)
@given(window=st.tuples(minutes, minutes), shift=st.tuples(minutes, minutes))
def test_availability_masks_never_exclude_a_shift_the_exact_rule_accepts(window, shift):
    (w_start, w_end), (s_start, s_end) = sorted(window), sorted(shift)
    if w_start == w_end or s_start == s_end:
        return
    clock_time = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    windows = [{"weekday": 3, "start": clock_time(w_start), "end": clock_time(w_end)}]
    segments = [(3, s_start, s_end)]
    mask = availability.masks(windows)[3]
    needed = availability.needed_masks(segments)[3]
    if availability.fits(windows, segments):
        assert needed & ~mask == 0


def test_the_ranking_follows_profile_changes_and_new_workers(
    ask, shift, make_worker, client, headers_of
):
    from marketplace.workers.services import id_cipher
    from tests.conftest import worker_body

    mover, steady = make_worker(location=at_distance(1)), make_worker(location=at_distance(2))
    assert ids(ask(shift)) == [mover.id, steady.id]  # the index is built here
    number = id_cipher().decrypt(mover.id_number_ciphertext)
    moved = client.put(
        "/api/v1/workers/me",
        headers=headers_of(mover),
        json=worker_body(id_number=number, location=at_distance(30), max_distance_km=10),
    )
    assert moved.status_code == 200
    newcomer = make_worker(location=at_distance(0.5))
    assert ids(ask(shift)) == [newcomer.id, steady.id]


def test_a_change_of_skills_alone_reaches_the_index(ask, make_job, make_worker, client, headers_of):
    """The model stamps every change of a worker (collections too), not the code that writes it."""
    from marketplace.workers.services import id_cipher
    from tests.conftest import worker_body

    shift = make_job(required_skills=["cleaning"]).shifts[0]
    worker = make_worker(skills=["cleaning"])
    assert ids(ask(shift)) == [worker.id]  # the index is built here
    number = id_cipher().decrypt(worker.id_number_ciphertext)
    changed = client.put(
        "/api/v1/workers/me",
        headers=headers_of(worker),
        json=worker_body(id_number=number, skills=["delivery"]),
    )
    assert changed.status_code == 200
    assert ask(shift) == []


def test_a_rating_reaches_the_index(ask, shift, make_worker, database):
    loved, other = make_worker(location=at_distance(3)), make_worker(location=at_distance(3))
    assert ids(ask(shift)) == [loved.id, other.id]  # the index is built here
    other.rating = Decimal("4.80")  # written as reputation writes it: nobody stamps by hand
    database.commit()
    assert ids(ask(shift)) == [other.id, loved.id]


# --- who the candidates are, and paging (contract v1.1) --------------------------------------


def test_a_candidate_says_who_the_worker_is_but_not_the_full_name(
    ask_as_employer, shift, make_worker
):
    make_worker(name="欧阳娜娜", skills=["cleaning", "catering"])
    [candidate] = ask_as_employer(shift)
    assert candidate["display_name"] == "欧阳*" and candidate["name"] is None
    assert candidate["skills"] == ["catering", "cleaning"]
    assert candidate["rating"] is None and candidate["reliability"] is None
    assert candidate["completed_shifts"] == 0


def test_the_full_name_once_the_worker_has_a_booking_with_the_employer(
    ask_as_employer, shift, make_worker, make_job, client, headers_of, database
):
    worker = make_worker(name="王小明")
    employer = database.get(Employer, shift.job.employer_id)
    earlier = make_job(employer=employer, shifts=[{**shift_times(days_ahead=1), "headcount": 1}])
    booked = client.post(
        f"/api/v1/shifts/{earlier.shifts[0].id}/bookings", headers=headers_of(worker)
    )
    assert booked.status_code == 201
    [candidate] = ask_as_employer(shift)
    assert (candidate["display_name"], candidate["name"]) == ("王*", "王小明")


def test_another_employers_booking_does_not_tell_this_one_the_name(
    ask_as_employer, shift, make_worker, make_job, client, headers_of
):
    worker = make_worker(name="王小明")
    elsewhere = make_job(shifts=[{**shift_times(days_ahead=1), "headcount": 1}])
    client.post(f"/api/v1/shifts/{elsewhere.shifts[0].id}/bookings", headers=headers_of(worker))
    [candidate] = ask_as_employer(shift)
    assert candidate["name"] is None


def test_candidates_page_with_x_pagination_and_limit_is_per_pages_alias(
    client, shift, make_worker, make_user, auth_headers
):
    for km in range(1, 6):
        make_worker(location=at_distance(km))
    admin = auth_headers(make_user("admin"))
    url = f"/api/v1/shifts/{shift.id}/candidates"
    first = client.get(url, query_string={"per_page": 2}, headers=admin)
    second = client.get(url, query_string={"per_page": 2, "page": 2}, headers=admin)
    old = client.get(url, query_string={"limit": 2}, headers=admin)
    assert json.loads(first.headers["X-Pagination"])["total"] == 5
    assert json.loads(first.headers["X-Pagination"])["total_pages"] == 3
    assert [c["rank"] for c in second.get_json()] == [3, 4]
    assert ids(old.get_json()) == ids(first.get_json())
    everyone = ids(client.get(url, headers=admin).get_json())
    assert ids(first.get_json()) + ids(second.get_json()) == everyone[:4]
    assert client.get(url, query_string={"per_page": 101}, headers=admin).status_code == 422
    assert client.get(url, query_string={"limit": 0}, headers=admin).status_code == 422


def test_recommendations_page_with_x_pagination(client, make_job, make_worker, headers_of):
    worker = make_worker(max_distance_km=10)
    for km in (1, 2, 3):
        make_job(location=at_distance(km))
    url = "/api/v1/workers/me/recommended-shifts"
    response = client.get(url, query_string={"per_page": 2}, headers=headers_of(worker))
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    assert len(response.get_json()) == 2
    last = client.get(url, query_string={"limit": 2, "page": 2}, headers=headers_of(worker))
    assert len(last.get_json()) == 1


def test_a_rating_is_a_number_everywhere(client, make_worker, headers_of, database):
    from decimal import Decimal

    from marketplace.workers.models import Worker

    worker = make_worker()
    database.get(Worker, worker.id).rating = Decimal("4.50")
    database.commit()
    mine = client.get("/api/v1/workers/me", headers=headers_of(worker)).get_json()
    assert mine["rating"] == 4.5 and isinstance(mine["rating"], float)


def test_display_names_keep_compound_surnames():
    from marketplace.bookings.people import display_name

    assert display_name("王小明") == "王*"
    assert display_name("诸葛亮") == "诸葛*"
    assert display_name("") == "*"
