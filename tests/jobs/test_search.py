"""The open-shift search: what counts as open, the filters, distance order and paging."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace import clock
from marketplace.common import geo
from marketplace.jobs import search
from tests.conftest import shift_times

SHIFTS = "/api/v1/shifts"
# Two points in 无锡 about 4.4 km apart (梁溪区 centre and 滨湖区 to the south-west).
CENTRE = {"lat": 31.5700, "lon": 120.3000}
SOUTH_WEST = {"lat": 31.5400, "lon": 120.2650}
FAR = {"lat": 31.8000, "lon": 120.2800}  # about 25 km north


@pytest.fixture
def worker_headers(make_user, auth_headers):
    return auth_headers(make_user("worker"))


def ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()]


def one_shift_job(make_job, days_ahead=3, headcount=2, **overrides):
    return make_job(
        shifts=[{**shift_times(days_ahead=days_ahead), "headcount": headcount}], **overrides
    )


def test_only_open_future_shifts_with_free_places_are_found(
    client, worker_headers, make_job, database
):
    open_job = one_shift_job(make_job)
    full_job = one_shift_job(make_job, headcount=1)
    full_job.shifts[0].booked = 1
    cancelled_job = one_shift_job(make_job)
    cancelled_job.shifts[0].cancelled_at = cancelled_job.created_at
    database.commit()
    found = ids(client.get(SHIFTS, headers=worker_headers))
    assert found == [open_job.shifts[0].id]


def test_results_without_a_point_come_soonest_first(client, worker_headers, make_job):
    later = one_shift_job(make_job, days_ahead=5)
    sooner = one_shift_job(make_job, days_ahead=2)
    assert ids(client.get(SHIFTS, headers=worker_headers)) == [
        sooner.shifts[0].id,
        later.shifts[0].id,
    ]


def test_around_a_point_results_are_nearest_first_with_their_distance(
    client, worker_headers, make_job
):
    near = one_shift_job(make_job, location=CENTRE, days_ahead=5)
    further = one_shift_job(make_job, location=SOUTH_WEST, days_ahead=2)
    one_shift_job(make_job, location=FAR)
    response = client.get(SHIFTS, query_string={**CENTRE, "radius_km": 10}, headers=worker_headers)
    items = response.get_json()
    assert [item["id"] for item in items] == [near.shifts[0].id, further.shifts[0].id]
    expected = geo.haversine_km(CENTRE["lat"], CENTRE["lon"], SOUTH_WEST["lat"], SOUTH_WEST["lon"])
    assert items[0]["distance_km"] == 0
    assert items[1]["distance_km"] == pytest.approx(expected, abs=0.001)
    assert items[1]["title"] == "商场保洁" and items[1]["location"] == SOUTH_WEST
    assert json.loads(response.headers["X-Pagination"])["total"] == 2


def test_the_radius_is_measured_exactly(client, worker_headers, make_job):
    # A point to the north-east: found with a radius 200 m over its distance, not 0–100 m under.
    diagonal = {"lat": CENTRE["lat"] + 0.028, "lon": CENTRE["lon"] + 0.033}
    one_shift_job(make_job, location=diagonal)
    distance = geo.haversine_km(CENTRE["lat"], CENTRE["lon"], diagonal["lat"], diagonal["lon"])
    just_short = math.floor(distance * 10) / 10
    inside = client.get(
        SHIFTS, query_string={**CENTRE, "radius_km": just_short + 0.2}, headers=worker_headers
    )
    outside = client.get(
        SHIFTS, query_string={**CENTRE, "radius_km": just_short}, headers=worker_headers
    )
    assert len(inside.get_json()) == 1
    assert outside.get_json() == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "家政"}, "homecare"),
        ({"skill": "elderly_care"}, "homecare"),
        ({"min_wage": "35.00"}, "homecare"),
        ({"min_wage": "30.00"}, "both"),
        ({"city": "xining"}, "none"),
        ({"city": "wuxi"}, "both"),
    ],
)
def test_filters(client, worker_headers, make_job, query, expected):
    cleaning = one_shift_job(make_job)
    homecare = one_shift_job(
        make_job, category="家政", required_skills=["elderly_care"], hourly_wage="35.00"
    )
    wanted = {
        "homecare": [homecare.shifts[0].id],
        "both": sorted([cleaning.shifts[0].id, homecare.shifts[0].id]),
        "none": [],
    }[expected]
    assert sorted(ids(client.get(SHIFTS, query_string=query, headers=worker_headers))) == wanted


def test_start_time_window(client, worker_headers, make_job):
    day2 = one_shift_job(make_job, days_ahead=2)
    day4 = one_shift_job(make_job, days_ahead=4)
    window = {
        "starts_after": day2.shifts[0].ends_at.isoformat(),
        "starts_before": day4.shifts[0].ends_at.isoformat(),
    }
    assert ids(client.get(SHIFTS, query_string=window, headers=worker_headers)) == [
        day4.shifts[0].id
    ]
    before = {"starts_before": day4.shifts[0].starts_at.isoformat()}
    assert ids(client.get(SHIFTS, query_string=before, headers=worker_headers)) == [
        day2.shifts[0].id
    ]


def test_paging_with_page_and_per_page(client, worker_headers, make_job):
    shifts = [one_shift_job(make_job, days_ahead=day).shifts[0].id for day in range(1, 6)]
    first = client.get(SHIFTS, query_string={"per_page": 2}, headers=worker_headers)
    third = client.get(SHIFTS, query_string={"per_page": 2, "page": 3}, headers=worker_headers)
    assert ids(first) == shifts[:2] and ids(third) == shifts[4:]
    paging = json.loads(first.headers["X-Pagination"])
    assert (paging["total"], paging["total_pages"], paging["page"], paging["next_page"]) == (
        5,
        3,
        1,
        2,
    )
    around = client.get(
        SHIFTS, query_string={**CENTRE, "per_page": 2, "page": 2}, headers=worker_headers
    )
    assert len(around.get_json()) == 2
    assert json.loads(around.headers["X-Pagination"])["total"] == 5


@pytest.mark.parametrize(
    "query",
    [
        {"lat": 31.5},
        {"radius_km": 5},
        {"lat": 31.5, "lon": 120.3, "radius_km": 0},
        {"per_page": 101},
        {"per_page": 0},
        {"page": 0},
        {"min_wage": "abc"},
        {"starts_after": "2026-03-02T08:00:00"},
    ],
)
def test_bad_search_parameters_are_422(client, worker_headers, query):
    assert client.get(SHIFTS, query_string=query, headers=worker_headers).status_code == 422


def test_search_needs_a_token(client):
    assert client.get(SHIFTS).status_code == 401


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(min_value=-60, max_value=60),
    lon=st.floats(min_value=-170, max_value=170),
    radius=st.floats(min_value=0.1, max_value=50),
    bearing=st.floats(min_value=0, max_value=2 * math.pi),
    fraction=st.floats(min_value=0, max_value=0.999),
)
def test_the_grid_prefilter_never_drops_a_point_inside_the_circle(
    lat, lon, radius, bearing, fraction
):
    # A point at `fraction` of the radius in direction `bearing` (small-distance approximation,
    # then checked exactly).
    distance = radius * fraction
    point_lat = lat + (distance / 110.574) * math.cos(bearing)
    point_lon = lon + (distance / (111.320 * math.cos(math.radians(point_lat)))) * math.sin(bearing)
    if geo.haversine_km(lat, lon, point_lat, point_lon) > radius:
        return
    south, north, west, east = geo.bounding_box(lat, lon, radius)
    assert south <= point_lat <= north and west <= point_lon <= east
    ranges = geo.cell_ranges(lat, lon, radius)
    cell = geo.cell_of(point_lat, point_lon)
    assert not ranges or any(low <= cell <= high for low, high in ranges)


def test_each_item_carries_the_shift_and_its_jobs_fields(client, worker_headers, make_job):
    job = one_shift_job(
        make_job, title="小区保洁", required_skills=["cleaning"], hourly_wage="31.50"
    )
    [item] = client.get(SHIFTS, query_string=CENTRE, headers=worker_headers).get_json()
    shift = job.shifts[0]
    assert item["id"] == shift.id and item["job_id"] == job.id
    assert (item["headcount"], item["booked"], item["status"]) == (2, 0, "open")
    assert item["title"] == "小区保洁" and item["required_skills"] == ["cleaning"]
    assert item["hourly_wage"] == "31.50" and item["employer_id"] == job.employer_id
    assert item["location"] == {"lat": job.lat, "lon": job.lon}
    assert (item["city"], item["address"]) == (job.city, job.address)
    assert "distance_km" in item and "description" not in item


def test_a_shift_read_alone_has_no_distance(client, worker_headers, make_job):
    job = one_shift_job(make_job, title="搬运")
    item = client.get(f"/api/v1/shifts/{job.shifts[0].id}", headers=worker_headers).get_json()
    assert item["title"] == "搬运" and item["status"] == "open"
    assert "distance_km" not in item


def test_searches_of_one_shape_share_a_statement_but_not_its_values(
    client, worker_headers, make_job
):
    cleaning = one_shift_job(make_job, category="保洁", location=CENTRE)
    moving = one_shift_job(make_job, category="搬运", location=SOUTH_WEST)
    found = {}
    hits = search._nearest.cache_info().hits
    for category, point in (("保洁", CENTRE), ("搬运", SOUTH_WEST), ("保洁", SOUTH_WEST)):
        query = {**point, "radius_km": 2, "category": category}
        found[category, point["lat"]] = ids(
            client.get(SHIFTS, query_string=query, headers=worker_headers)
        )
    assert found["保洁", CENTRE["lat"]] == [cleaning.shifts[0].id]
    assert found["搬运", SOUTH_WEST["lat"]] == [moving.shifts[0].id]
    assert found["保洁", SOUTH_WEST["lat"]] == []
    assert search._nearest.cache_info().hits >= hits + 1


@pytest.mark.parametrize(
    ("state", "skills", "district", "wage"),
    [
        ("open", [], "梁溪区", "25.00"),
        ("open", ["electrician", "forklift"], None, "31.5"),
        ("full", ["forklift"], "滨湖区", "1000"),
        ("cancelled", [], None, "25.1"),
        ("finished", ["electrician"], "梁溪区", "999999999.99"),
    ],
)
def test_a_result_is_written_exactly_as_the_shift_schema_writes_it(
    make_job, database, state, skills, district, wage
):
    # The search writes its items itself (marshmallow's dump of a page cost as much as the
    # search); the schema stays the contract, so both must write every field the same way.
    from marketplace.jobs.schemas import ShiftDetailSchema

    job = one_shift_job(
        make_job, required_skills=skills, district=district, hourly_wage=wage, headcount=3
    )
    shift = job.shifts[0]
    if state == "full":
        shift.booked = shift.headcount
    elif state == "cancelled":
        shift.cancelled_at = job.created_at
    elif state == "finished":
        shift.starts_at -= timedelta(days=10)
        shift.ends_at -= timedelta(days=10)
    database.commit()
    distance = 3.14159265

    written = search.items([(shift.id, job.id)], clock.now())[shift.id] | {"distance_km": 3.142}
    expected = ShiftDetailSchema().dump(search.ShiftView(shift, distance))
    assert expected["status"] == state
    assert written == expected
    assert json.dumps(written, sort_keys=True) == json.dumps(expected, sort_keys=True)


def _sqlite_has_math_functions() -> bool:
    import sqlite3

    try:
        sqlite3.connect(":memory:").execute("SELECT radians(0)")
    except sqlite3.OperationalError:
        return False
    return True


@pytest.mark.parametrize("functions", ["sqlite's own", "python's"])
def test_sqlite_measures_distances_as_geo_does_with_either_math_functions(functions):
    # SQLite builds without math functions exist; the app then registers Python's under the
    # same names (marketplace.database). Either way the database's distance is geo's.
    from sqlalchemy import create_engine, event, select

    from marketplace import database

    if functions == "sqlite's own" and not _sqlite_has_math_functions():
        pytest.skip("this SQLite is built without its math functions")
    engine = create_engine("sqlite://")
    if functions == "python's":

        @event.listens_for(engine, "connect")
        def register(dbapi_connection, _record):
            for name, arity, function in database._MATH_FUNCTIONS:
                dbapi_connection.create_function(name, arity, function, deterministic=True)

    point = (31.57, 120.30)
    places = [(31.57, 120.30), (31.54, 120.265), (31.80, 120.28), (36.62, 101.78), (-31.57, -59.7)]
    phi = math.radians(point[0])
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE jobs (lat REAL, lon REAL)")
        for lat, lon in places:
            connection.exec_driver_sql("INSERT INTO jobs VALUES (?, ?)", (lat, lon))
        measured = connection.scalars(
            select(search._distance_km()),
            {"phi": phi, "cos_phi": math.cos(phi), "lon": point[1]},
        ).all()
    expected = [geo.haversine_km(*point, lat, lon) for lat, lon in places]
    assert measured == pytest.approx(expected, rel=1e-12, abs=1e-9)


def test_results_around_a_point_are_written_exactly_as_the_shift_schema_writes_them(
    make_job, database
):
    # The page around a point comes from its own statement (the database measures and sorts);
    # each item must still be the schema's dump of that shift, its distance geo's.
    from marketplace.jobs.schemas import ShiftDetailSchema

    jobs = [
        one_shift_job(make_job, location=CENTRE, required_skills=["electrician", "forklift"]),
        one_shift_job(make_job, location=SOUTH_WEST, district=None, hourly_wage="31.5"),
    ]
    found = search.search({**CENTRE, "radius_km": 10.0}, page=1, per_page=20)
    assert found.total == 2 and [item["id"] for item in found.items] == [
        job.shifts[0].id for job in jobs
    ]
    for item, job in zip(found.items, jobs, strict=True):
        distance = geo.haversine_km(CENTRE["lat"], CENTRE["lon"], job.lat, job.lon)
        assert item["distance_km"] == pytest.approx(distance, abs=0.0005)
        shift = job.shifts[0]
        assert item == ShiftDetailSchema().dump(search.ShiftView(shift, item["distance_km"]))
