"""Series (contract v1.1 "Repeat work"): ``POST /jobs`` with ``repeat`` makes one shift on each
matching day of the city, from tomorrow (city time) through ``until``; each is checked as a given
shift, the job keeps the rule, and cancelling the job cancels the series' future shifts.

Each rule has a case that holds and one that refuses. The clock is frozen on Monday 1 March 2027,
08:00 in 无锡 (00:00 UTC), unless a test needs a minimum-wage change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.brokers import delegations
from marketplace.jobs import series
from marketplace.jobs.models import Job, Shift
from tests.conftest import job_body

JOBS = "/api/v1/jobs"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_8AM = "2027-03-01T08:00:00+08:00"  # a Monday


def counts(database) -> tuple[int, int]:
    return (
        database.scalar(select(func.count()).select_from(Job)),
        database.scalar(select(func.count()).select_from(Shift)),
    )


def repeat(**overrides):
    rule = {
        "weekdays": [0, 2, 4],
        "until": "2027-03-14",
        "starts": "09:00",
        "ends": "13:00",
        "headcount": 3,
    }
    rule.update(overrides)
    return rule


def series_body(shifts=None, **rule):
    """A job with only a series (``shifts`` left out) unless ``shifts`` is given."""
    body = job_body(repeat=repeat(**rule))
    if shifts is None:
        del body["shifts"]
    else:
        body["shifts"] = shifts
    return body


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY_8AM, tick=False):
        yield


@pytest.fixture
def employer_headers(make_employer, auth_headers, database, monday):
    employer = make_employer()
    return auth_headers(database.get(User, employer.user_id))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def post(client, headers, body):
    return client.post(JOBS, json=body, headers=headers)


def refused_on_repeat(response) -> str:
    """The 422's message on ``repeat`` (asserting its shape)."""
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]["json"]
    assert list(errors) == ["repeat"], errors
    return errors["repeat"][0]


# --- the days and instants ----------------------------------------------------------------------


def test_monday_wednesday_friday_mornings_for_two_weeks(client, employer_headers, database):
    response = post(client, employer_headers, series_body())
    assert response.status_code == 201, response.get_json()
    job = response.get_json()
    # Today (Monday) is left out: the series starts tomorrow.
    days = ["2027-03-03", "2027-03-05", "2027-03-08", "2027-03-10", "2027-03-12"]
    assert [(s["starts_at"], s["ends_at"]) for s in job["shifts"]] == [
        (f"{day}T09:00:00+08:00", f"{day}T13:00:00+08:00") for day in days
    ]
    assert {(s["headcount"], s["booked"], s["status"]) for s in job["shifts"]} == {(3, 0, "open")}
    stored = database.scalars(
        select(Shift).where(Shift.job_id == job["id"]).order_by(Shift.starts_at)
    ).all()
    # Stored in UTC: 09:00 in 无锡 is 01:00 UTC.
    assert [(s.starts_at, s.ends_at) for s in stored] == [
        (
            datetime.fromisoformat(f"{day}T01:00:00+00:00"),
            datetime.fromisoformat(f"{day}T05:00:00+00:00"),
        )
        for day in days
    ]


def test_a_night_shift_ends_the_next_morning(client, employer_headers):
    response = post(
        client, employer_headers, series_body(weekdays=[4], starts="22:00", ends="06:00")
    )
    assert response.status_code == 201, response.get_json()
    shifts = response.get_json()["shifts"]
    assert [(s["starts_at"], s["ends_at"]) for s in shifts] == [
        ("2027-03-05T22:00:00+08:00", "2027-03-06T06:00:00+08:00"),
        ("2027-03-12T22:00:00+08:00", "2027-03-13T06:00:00+08:00"),
    ]
    assert utc(shifts[0]["starts_at"]) == datetime(2027, 3, 5, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("starts", "ends"),
    [("18:00", "07:00"), ("09:00", "09:00"), ("06:00", "18:01")],  # 13 h, 24 h, 12 h 1 min
)
def test_a_shift_longer_than_the_rules_allow_is_refused_naming_its_day(
    client, employer_headers, database, starts, ends
):
    response = post(client, employer_headers, series_body(starts=starts, ends=ends))
    assert refused_on_repeat(response) == (
        "the series' shift of 2027-03-03 would last more than 12 hours"
    )
    assert counts(database) == (0, 0)


def test_a_night_shift_of_exactly_twelve_hours_is_fine(client, employer_headers):
    response = post(client, employer_headers, series_body(starts="19:00", ends="07:00"))
    assert response.status_code == 201, response.get_json()


def test_today_never_counts_even_when_its_slot_is_still_ahead(client, employer_headers):
    """Contract v1.1, clarifications: "from tomorrow (city time)". At 08:00 today's 09:00 is
    still ahead, yet the first Monday of the series is next week's."""
    response = post(client, employer_headers, series_body(weekdays=[0], until="2027-03-08"))
    assert response.status_code == 201, response.get_json()
    assert [s["starts_at"] for s in response.get_json()["shifts"]] == ["2027-03-08T09:00:00+08:00"]


def test_tomorrow_counts_from_its_first_minute(client, employer_headers):
    response = post(
        client,
        employer_headers,
        series_body(weekdays=[1], until="2027-03-02", starts="00:00", ends="04:00"),
    )
    assert response.status_code == 201, response.get_json()
    assert [s["starts_at"] for s in response.get_json()["shifts"]] == ["2027-03-02T00:00:00+08:00"]


def test_the_days_are_the_citys_not_utcs(client, auth_headers, make_employer, database):
    """At 00:30 on Monday in 无锡 it is still Sunday in UTC: tomorrow is the city's Tuesday, so
    the first Monday is next week's."""
    with time_machine.travel("2027-03-01T00:30:00+08:00", tick=False):
        headers = auth_headers(database.get(User, make_employer().user_id))
        response = post(client, headers, series_body(weekdays=[0], until="2027-03-08"))
        assert response.status_code == 201, response.get_json()
        assert [s["starts_at"] for s in response.get_json()["shifts"]] == [
            "2027-03-08T09:00:00+08:00"
        ]


# --- what refuses a series ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"weekdays": [0], "until": "2027-03-07"},
            "repeat makes no shift: no day from 2027-03-02 through 2027-03-07 is one of its "
            "weekdays",
        ),
        (
            {"until": "2027-03-01"},  # today: nothing from tomorrow on
            "repeat makes no shift: no day from 2027-03-02 through 2027-03-01 is one of its "
            "weekdays",
        ),
        (
            {"until": "2028-03-02"},  # 367 days ahead
            "repeat runs at most a year ahead: until 2028-03-01 at the latest",
        ),
    ],
)
def test_a_series_without_days_or_beyond_a_year_is_422(
    client, employer_headers, database, rule, message
):
    assert refused_on_repeat(post(client, employer_headers, series_body(**rule))) == message
    assert counts(database) == (0, 0)


def test_a_series_runs_up_to_a_year_ahead(client, employer_headers):
    response = post(client, employer_headers, series_body(weekdays=[2], until="2028-03-01"))
    assert response.status_code == 201, response.get_json()
    shifts = response.get_json()["shifts"]
    assert (len(shifts), shifts[-1]["starts_at"][:10]) == (53, "2028-03-01")


def test_a_hundred_shifts_is_the_most(client, employer_headers, database):
    every_day = list(range(7))
    response = post(client, employer_headers, series_body(weekdays=every_day, until="2027-06-09"))
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["shifts"]) == 100
    before = counts(database)
    response = post(client, employer_headers, series_body(weekdays=every_day, until="2027-06-10"))
    assert refused_on_repeat(response) == (
        "repeat makes 101 shifts, 101 with the given ones: a job has at most 100 (the series "
        "passes it on 2027-06-10)"
    )
    assert counts(database) == before


def test_given_shifts_count_towards_the_hundred(client, employer_headers, database):
    given = [
        {
            "starts_at": "2027-03-02T14:00:00+08:00",
            "ends_at": "2027-03-02T18:00:00+08:00",
            "headcount": 1,
        }
    ]
    body = series_body(shifts=given, weekdays=list(range(7)), until="2027-06-09")
    assert refused_on_repeat(post(client, employer_headers, body)) == (
        "repeat makes 100 shifts, 101 with the given ones: a job has at most 100 (the series "
        "passes it on 2027-06-09)"
    )
    assert counts(database) == (0, 0)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [0, 0]}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": [-1]}, "weekdays"),
        ({"starts": "9:00"}, "starts"),
        ({"starts": "24:00"}, "starts"),
        ({"ends": "13:00\n"}, "ends"),
        ({"ends": "１３:００"}, "ends"),  # full-width digits
        ({"until": "14 March"}, "until"),
        ({"headcount": 0}, "headcount"),
        ({"headcount": 501}, "headcount"),
    ],
)
def test_a_malformed_rule_is_422_naming_its_field(client, employer_headers, database, rule, field):
    response = post(client, employer_headers, series_body(**rule))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]["repeat"]
    assert counts(database) == (0, 0)


def test_a_weekday_named_twice_says_so(client, employer_headers):
    response = post(client, employer_headers, series_body(weekdays=[0, 2, 0]))
    assert response.get_json()["errors"]["json"]["repeat"]["weekdays"] == [
        "each weekday may be named only once"
    ]


def test_weekdays_in_any_order_make_the_same_days(client, employer_headers):
    response = post(client, employer_headers, series_body(weekdays=[4, 0, 2]))
    assert response.status_code == 201
    assert len(response.get_json()["shifts"]) == 5


@pytest.mark.parametrize(
    "extra", [{}, {"shifts": []}, {"repeat": None}, {"shifts": [], "repeat": None}]
)
def test_neither_shifts_nor_repeat_is_422(client, employer_headers, database, extra):
    body = {**job_body(), **extra}
    if "shifts" not in extra:
        del body["shifts"]
    response = post(client, employer_headers, body)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {
        "shifts": ["give the shifts, a repeat rule that makes them, or both"]
    }
    assert counts(database) == (0, 0)


def test_a_null_repeat_beside_shifts_is_a_job_without_a_series(client, employer_headers):
    response = post(client, employer_headers, job_body(repeat=None))
    assert response.status_code == 201
    assert response.get_json()["repeat"] is None


# --- the minimum wage on each day ---------------------------------------------------------------


def test_the_wage_must_reach_the_minimum_in_force_on_each_day_of_the_series(
    client, auth_headers, make_employer, database
):
    # 无锡's hourly minimum is 24.00 until 2025-12-31 and 25.00 from 2026-01-01.
    with time_machine.travel("2025-12-20T10:00:00+08:00", tick=False):
        headers = auth_headers(database.get(User, make_employer().user_id))
        every_day = list(range(7))
        before = counts(database)
        across = series_body(weekdays=every_day, until="2026-01-02")
        response = post(client, headers, {**across, "hourly_wage": "24.50"})
        assert refused_on_repeat(response) == (
            "hourly_wage 24.50 is below 无锡市's hourly minimum wage 25.00 in force on 2026-01-01 "
            "(since 2026-01-01)"
        )
        assert counts(database) == before
        within = series_body(weekdays=every_day, until="2025-12-31")
        response = post(client, headers, {**within, "hourly_wage": "24.50"})
        assert response.status_code == 201, response.get_json()
        assert len(response.get_json()["shifts"]) == 11
        assert counts(database) == (before[0] + 1, before[1] + 11)


def test_the_refusal_is_told_in_chinese_by_default(client, employer_headers):
    response = client.post(
        JOBS,
        json=series_body(weekdays=[0], until="2027-03-07"),
        headers={**employer_headers, "Accept-Language": ""},
    )
    assert response.get_json()["errors"]["json"]["repeat"] == [
        "重复规则未生成任何班次：2027-03-02 至 2027-03-07 之间没有一天是所选的星期几"
    ]


# --- with shifts, by a broker, the rule kept ----------------------------------------------------


def test_a_series_and_given_shifts_make_one_job_in_time_order(client, employer_headers, database):
    given = [
        {
            "starts_at": "2027-03-20T14:00:00+08:00",
            "ends_at": "2027-03-20T18:00:00+08:00",
            "headcount": 1,
        },
        {
            "starts_at": "2027-03-04T14:00:00+08:00",
            "ends_at": "2027-03-04T18:00:00+08:00",
            "headcount": 2,
        },
    ]
    response = post(client, employer_headers, series_body(shifts=given, until="2027-03-07"))
    assert response.status_code == 201, response.get_json()
    job = response.get_json()
    assert [(s["starts_at"], s["headcount"]) for s in job["shifts"]] == [
        ("2027-03-03T09:00:00+08:00", 3),
        ("2027-03-04T14:00:00+08:00", 2),
        ("2027-03-05T09:00:00+08:00", 3),
        ("2027-03-20T14:00:00+08:00", 1),
    ]
    assert client.get(f"{JOBS}/{job['id']}", headers=employer_headers).get_json() == job


def test_a_bad_given_shift_refuses_the_series_too(client, employer_headers, database):
    past = [
        {
            "starts_at": "2027-02-28T14:00:00+08:00",
            "ends_at": "2027-02-28T18:00:00+08:00",
            "headcount": 1,
        }
    ]
    response = post(client, employer_headers, series_body(shifts=past))
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["shifts"] == {
        "0": {"starts_at": ["must be in the future"]}
    }
    assert counts(database) == (0, 0)


def test_a_broker_posts_a_series_for_its_employer(
    client, make_employer, make_broker, headers_of, database, monday
):
    employer = make_employer()
    broker = make_broker()
    delegations.delegate(database.get(User, employer.user_id), broker.id)
    database.commit()
    body = {**series_body(), "employer_id": employer.id}
    response = post(client, headers_of(broker), body)
    assert response.status_code == 201, response.get_json()
    job = response.get_json()
    assert (job["employer_id"], job["broker_id"], len(job["shifts"])) == (
        employer.id,
        broker.id,
        5,
    )


def test_a_broker_without_the_delegation_posts_no_series(
    client, make_employer, make_broker, headers_of, database, monday
):
    employer = make_employer()
    body = {**series_body(), "employer_id": employer.id}
    assert post(client, headers_of(make_broker()), body).status_code == 403
    assert counts(database) == (0, 0)


def test_the_job_keeps_its_rule_as_given(client, employer_headers, database):
    rule = repeat(weekdays=[4, 0], starts="22:00", ends="06:00")
    response = post(client, employer_headers, {**series_body(), "repeat": rule})
    assert response.status_code == 201
    job = response.get_json()
    assert job["repeat"] == rule
    assert client.get(f"{JOBS}/{job['id']}", headers=employer_headers).get_json()["repeat"] == rule
    assert database.get(Job, job["id"]).repeat == rule
    listed = client.get("/api/v1/employers/me/jobs", headers=employer_headers).get_json()
    assert [item["repeat"] for item in listed] == [rule]


def test_a_job_of_given_shifts_has_no_rule(client, employer_headers, database):
    response = post(client, employer_headers, job_body())
    assert response.status_code == 201
    assert response.get_json()["repeat"] is None
    assert database.get(Job, response.get_json()["id"]).repeat is None


# --- cancelling -------------------------------------------------------------------------------


def test_cancelling_the_job_cancels_the_series_future_shifts(
    client, auth_headers, make_employer, database
):
    with time_machine.travel(MONDAY_8AM, tick=False):
        poster = database.get(User, make_employer().user_id)
        job = post(client, auth_headers(poster), series_body()).get_json()
    # Wednesday's shift has started; the four after it have not.
    with time_machine.travel("2027-03-03T09:30:00+08:00", tick=False):
        response = client.post(f"{JOBS}/{job['id']}/cancel", headers=auth_headers(poster))
        assert response.status_code == 200
        assert [s["status"] for s in response.get_json()["shifts"]] == ["open"] + ["cancelled"] * 4
        assert response.get_json()["repeat"] == repeat()


def test_a_stranger_cannot_cancel_a_series(client, auth_headers, make_employer, database, monday):
    poster = database.get(User, make_employer().user_id)
    job = post(client, auth_headers(poster), series_body()).get_json()
    stranger = auth_headers(database.get(User, make_employer().user_id))
    assert client.post(f"{JOBS}/{job['id']}/cancel", headers=stranger).status_code == 403
    assert (
        database.scalar(
            select(func.count()).select_from(Shift).where(Shift.cancelled_at.is_not(None))
        )
        == 0
    )


# --- any time zone (the generation alone) -------------------------------------------------------


def berlin_rule(**overrides):
    rule = {
        "weekdays": [5, 6],
        "until": date(2027, 3, 28),
        "starts": "09:00",
        "ends": "17:00",
        "headcount": 1,
    }
    return {**rule, **overrides}


NOW = datetime(2027, 3, 26, 12, tzinfo=UTC)  # Friday; Berlin springs forward on Sunday 28 March


def test_wall_clock_times_hold_across_a_daylight_saving_change():
    made = series.shifts_of(berlin_rule(), "Europe/Berlin", NOW)
    assert [(s.day, s.starts_at, s.ends_at) for s in made] == [
        (
            date(2027, 3, 27),
            datetime(2027, 3, 27, 8, tzinfo=UTC),
            datetime(2027, 3, 27, 16, tzinfo=UTC),
        ),
        (
            date(2027, 3, 28),
            datetime(2027, 3, 28, 7, tzinfo=UTC),
            datetime(2027, 3, 28, 15, tzinfo=UTC),
        ),
    ]


def test_a_night_shift_over_the_change_lasts_the_real_hours():
    spring = series.shifts_of(berlin_rule(starts="22:00", ends="06:00"), "Europe/Berlin", NOW)
    # Saturday night holds the change (02:00 is 03:00): an hour shorter; Sunday night is whole.
    assert [s.ends_at - s.starts_at for s in spring] == [timedelta(hours=7), timedelta(hours=8)]
    autumn_now = datetime(2027, 10, 29, 12, tzinfo=UTC)  # Berlin falls back on Sunday 31 October
    autumn = series.shifts_of(
        berlin_rule(starts="22:00", ends="06:00", until=date(2027, 10, 31)),
        "Europe/Berlin",
        autumn_now,
    )
    # Saturday night holds the change (03:00 is 02:00 again): an hour longer.
    assert [s.ends_at - s.starts_at for s in autumn] == [timedelta(hours=9), timedelta(hours=8)]


def test_a_time_the_clocks_skip_lands_after_the_gap():
    made = series.shifts_of(
        berlin_rule(weekdays=[6], starts="02:30", ends="06:00"), "Europe/Berlin", NOW
    )
    (shift,) = made
    assert shift.starts_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "03:30"
    assert shift.ends_at - shift.starts_at == timedelta(hours=2, minutes=30)


def test_the_first_day_is_tomorrow_in_the_zone():
    late_sunday = datetime(2027, 2, 28, 15, 30, tzinfo=UTC)  # Monday 1 March, 00:30 in Tokyo
    assert series.first_day(late_sunday, "Asia/Tokyo") == date(2027, 3, 2)
    assert series.first_day(late_sunday, "America/New_York") == date(2027, 3, 1)
