"""Worker profiles: the ID number, groups, and who may read whom."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, text

from marketplace import clock, events
from marketplace.audit.models import AuditEvent
from marketplace.workers.models import Worker, WorkerGroupChange
from tests.conftest import resident_id, worker_body

ME = "/api/v1/workers/me"


def worker_count(database) -> int:
    return database.scalar(select(func.count()).select_from(Worker))


@pytest.fixture
def worker_user(make_user):
    return make_user("worker")


def put_me(client, auth_headers, user, **overrides):
    return client.put(ME, json=worker_body(**overrides), headers=auth_headers(user))


def test_a_worker_creates_a_profile_with_derived_birth_date_gender_and_masked_id(
    client, auth_headers, worker_user
):
    number = resident_id(birth=date(1990, 5, 17), gender="male")
    response = put_me(client, auth_headers, worker_user, id_number=number, name="王小明")
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "王小明"
    assert body["user_id"] == worker_user.id
    # The worker itself sees the 6 + 4 mask and its birth date: together, its own number.
    assert body["birth_date"] == "1990-05-17" and body["birth_year"] == 1990
    assert body["gender"] == "male"
    assert body["id_number"] == number[:6] + "********" + number[-4:]
    assert body["rating"] is None and body["reliability"] is None
    assert body["max_distance_km"] == 20.0
    assert client.get(ME, headers=auth_headers(worker_user)).get_json() == body


def test_my_profile_is_404_until_the_first_put(client, auth_headers, worker_user):
    assert client.get(ME, headers=auth_headers(worker_user)).status_code == 404


def test_put_replaces_the_profile(client, auth_headers, worker_user):
    number = resident_id()
    put_me(client, auth_headers, worker_user, id_number=number, skills=["cleaning"])
    again = put_me(
        client, auth_headers, worker_user, id_number=number, skills=["delivery", "cooking"]
    )
    assert again.status_code == 200
    assert again.get_json()["skills"] == ["cooking", "delivery"]


def test_the_id_number_is_not_stored_in_clear(client, auth_headers, worker_user, database):
    number = resident_id()
    put_me(client, auth_headers, worker_user, id_number=number)
    dump = " ".join(
        str(value) for row in database.execute(text("SELECT * FROM workers")) for value in row
    )
    assert number not in dump
    assert number[6:14] not in dump  # not even the birth date part in clear


@pytest.mark.parametrize(
    ("mangle", "complaint"),
    [
        (lambda n: n[:17] + ("0" if n[17] != "0" else "1"), "check"),
        (lambda n: n[:10] + "0230" + n[14:], "date"),
        (lambda n: n[:16], "18"),
        (lambda n: n[:5] + "A" + n[6:], ""),
    ],
)
def test_a_malformed_id_number_is_422_and_stores_nothing(
    client, auth_headers, worker_user, database, mangle, complaint
):
    from marketplace.common.ids import resident_id_check_character

    number = mangle(resident_id())
    if complaint == "date":  # keep the check character right so that the date rule is hit
        number = number[:17] + resident_id_check_character(number[:17])
    response = put_me(client, auth_headers, worker_user, id_number=number)
    assert response.status_code == 422
    assert "id_number" in response.get_json()["errors"]["json"]
    assert worker_count(database) == 0


def test_a_worker_must_be_sixteen_on_the_day_of_registration(
    client, auth_headers, make_user, database
):
    today = clock.today()
    sixteen_today = today.replace(year=today.year - 16)
    sixteen_tomorrow = sixteen_today + timedelta(days=1)
    too_young = put_me(
        client, auth_headers, make_user("worker"), id_number=resident_id(birth=sixteen_tomorrow)
    )
    assert too_young.status_code == 422
    assert "16" in str(too_young.get_json()["errors"])
    assert worker_count(database) == 0
    just_old_enough = put_me(
        client, auth_headers, make_user("worker"), id_number=resident_id(birth=sixteen_today)
    )
    assert just_old_enough.status_code == 200


def test_an_id_number_belongs_to_one_worker_only(client, auth_headers, make_user, database):
    number = resident_id()
    assert put_me(client, auth_headers, make_user("worker"), id_number=number).status_code == 200
    lowercase = number[:-1] + number[-1].lower()
    second = put_me(client, auth_headers, make_user("worker"), id_number=lowercase)
    assert second.status_code == 409
    assert worker_count(database) == 1


def test_the_id_number_of_a_profile_cannot_be_changed(client, auth_headers, worker_user, database):
    first = resident_id()
    put_me(client, auth_headers, worker_user, id_number=first)
    response = put_me(client, auth_headers, worker_user, id_number=resident_id(), name="改名")
    assert response.status_code == 409
    assert database.scalar(select(Worker.name)) == "张三"


@pytest.mark.parametrize(
    "field", ["rating", "reliability", "user_id", "id", "birth_date", "birth_year", "gender"]
)
def test_derived_and_foreign_fields_sent_are_ignored_never_set(
    client, auth_headers, worker_user, database, field
):
    """v1.1 ("Profiles round-trip") changes v1's 422: read-only fields are dropped, so that a
    GET's body can be sent back; they still never set anything."""
    value = {
        "rating": "5.00",
        "reliability": 1.0,
        "user_id": 1_000,
        "id": 1_000,
        "birth_date": "2000-01-01",
        "birth_year": 2000,
        "gender": "female",
    }[field]
    number = resident_id(birth=date(1990, 5, 17), gender="male")
    body = put_me(client, auth_headers, worker_user, id_number=number, **{field: value}).get_json()
    worker = database.scalar(select(Worker))
    assert (worker.rating, worker.reliability, worker.user_id) == (None, None, worker_user.id)
    assert worker.id != 1_000 and body["birth_year"] != 2000 and worker.gender == "male"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"district": "城中区"}, "district"),  # a 西宁 district for a 无锡 worker
        ({"city": "shanghai"}, "city"),
        ({"name": ""}, "name"),
        ({"name": "名" * 51}, "name"),
        ({"max_distance_km": 0.4}, "max_distance_km"),
        ({"max_distance_km": 100.5}, "max_distance_km"),
        ({"location": {"lat": 91, "lon": 120}}, "location"),
        ({"availability": [{"weekday": 7, "start": "08:00", "end": "12:00"}]}, "availability"),
        ({"availability": [{"weekday": 1, "start": "12:00", "end": "08:00"}]}, "availability"),
        ({"availability": [{"weekday": 1, "start": "8am", "end": "12:00"}]}, "availability"),
        ({"skills": ["has space"]}, "skills"),
        ({"resident": None}, "resident"),
    ],
)
def test_invalid_profile_fields_are_422(
    client, auth_headers, worker_user, database, overrides, field
):
    response = put_me(client, auth_headers, worker_user, **overrides)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert worker_count(database) == 0


def test_group_dates_cannot_be_in_the_future(client, auth_headers, worker_user, database):
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    response = put_me(client, auth_headers, worker_user, difficulty_certified_on=tomorrow)
    assert response.status_code == 422
    assert "difficulty_certified_on" in response.get_json()["errors"]["json"]
    assert worker_count(database) == 0


def test_group_dates_cannot_be_before_the_workers_16th_birthday(
    client, auth_headers, worker_user, database
):
    """Finding 9: facts that cannot be (a graduate of 1900, unemployed at ten) are refused."""
    number = resident_id(birth=date(1990, 5, 17))
    for field, day in (
        ("graduated_on", "1900-01-01"),
        ("unemployment_registered_on", "2006-05-16"),
    ):
        response = put_me(client, auth_headers, worker_user, id_number=number, **{field: day})
        assert response.status_code == 422
        assert "16th birthday" in response.get_json()["message"]
        assert field in response.get_json()["errors"]["json"]
    assert worker_count(database) == 0
    on_the_day = put_me(
        client, auth_headers, worker_user, id_number=number, graduated_on="2006-05-17"
    )
    assert on_the_day.status_code == 200


def test_a_group_change_is_recorded_audited_and_announced(
    client, auth_headers, worker_user, database
):
    seen: list[dict] = []

    @events.subscribe(events.WORKER_GROUPS_CHANGED)
    def remember(worker, changes):
        seen.append(changes)

    number = resident_id()
    put_me(client, auth_headers, worker_user, id_number=number)
    assert seen == []  # no group set: nothing changed
    put_me(
        client,
        auth_headers,
        worker_user,
        id_number=number,
        unemployment_registered_on="2025-12-10",
        veteran=True,
    )
    put_me(
        client,
        auth_headers,
        worker_user,
        id_number=number,
        unemployment_registered_on="2025-12-10",
        veteran=True,
    )
    events.unsubscribe(events.WORKER_GROUPS_CHANGED, remember)

    assert seen == [
        {"unemployment_registered_on": [None, "2025-12-10"], "veteran": ["false", "true"]}
    ]
    changes = database.scalars(select(WorkerGroupChange).order_by(WorkerGroupChange.field)).all()
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("unemployment_registered_on", None, "2025-12-10"),
        ("veteran", "false", "true"),
    ]
    [event] = database.scalars(
        select(AuditEvent).where(AuditEvent.action == "worker.groups_changed")
    )
    assert event.city == "wuxi" and event.actor_id == worker_user.id


# --- reading other workers ------------------------------------------------------------------


def test_who_may_read_a_worker(client, auth_headers, make_user, make_worker):
    worker = make_worker()
    path = f"/api/v1/workers/{worker.id}"
    allowed = {
        "the worker itself": database_user(worker),
        "an official of its city": make_user("official", city="wuxi"),
        "admin": make_user("admin"),
    }
    for who, user in allowed.items():
        response = client.get(path, headers=auth_headers(user))
        assert response.status_code == 200, who
        assert "*" in response.get_json()["id_number"], who
    hidden = {
        "another worker": make_user("worker"),
        "an official of another city": make_user("official", city="xining"),
        "an employer without a booking": make_user("employer"),
        "a broker without a booking": make_user("broker"),
    }
    for who, user in hidden.items():
        assert client.get(path, headers=auth_headers(user)).status_code == 404, who


def database_user(worker):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    return db.session.get(User, worker.user_id)


def test_a_missing_worker_is_404(client, auth_headers, make_user):
    response = client.get("/api/v1/workers/999999", headers=auth_headers(make_user("admin")))
    assert response.status_code == 404


def test_readers_other_than_the_worker_see_4_plus_2_and_the_birth_year_only(
    client, auth_headers, make_user, make_worker
):
    """Finding 1: the 6 + 4 mask beside the birth date was the whole number, unaudited."""
    number = resident_id(birth=date(1990, 5, 17))
    worker = make_worker(id_number=number)
    for reader in (make_user("official", city="wuxi"), make_user("admin")):
        body = client.get(f"/api/v1/workers/{worker.id}", headers=auth_headers(reader)).get_json()
        assert body["id_number"] == number[:4] + "*" * 12 + number[-2:]
        assert body["birth_year"] == 1990 and "birth_date" not in body
        assert "19900517" not in str(body) and number[6:14] not in str(body)


def test_no_columns_in_clear_rebuild_the_number_or_name_the_worker(make_worker, database):
    """A copy of the database shows no ID number (in a column or put together), no name and no
    home finer than about a hundred metres."""
    number = resident_id(birth=date(1990, 5, 17))
    worker = make_worker(
        id_number=number, name="欧阳明月", location={"lat": 31.5712345, "lon": 120.3009876}
    )
    row = (
        database.execute(text("SELECT * FROM workers WHERE id = :id"), {"id": worker.id})
        .mappings()
        .one()
    )
    clear = " ".join(str(value) for value in row.values())
    assert number not in clear and number[:6] not in clear and number[6:14] not in clear
    assert "1990-05-17" not in clear and "birth_date" not in row
    assert row["id_number_masked"] == number[:4] + "*" * 12 + number[-2:]
    assert "欧阳" not in clear and "明月" not in clear
    assert (row["lat"], row["lon"]) == (31.571, 120.301)
    assert database.get(Worker, worker.id).name == "欧阳明月"  # read back in clear


def test_an_official_of_the_city_may_reveal_the_id_number_with_a_reason_and_it_is_audited(
    client, auth_headers, make_user, make_worker, database
):
    number = resident_id()
    worker = make_worker(id_number=number)
    official = make_user("official", city="wuxi")
    response = client.get(
        f"/api/v1/workers/{worker.id}?reveal=id_number&reason=核对社保缴费记录",
        headers=auth_headers(official),
    )
    assert response.status_code == 200
    assert response.get_json()["id_number"] == number
    [event] = database.scalars(select(AuditEvent).where(AuditEvent.action == "worker.id_revealed"))
    assert (event.actor_id, event.entity_id, event.city) == (official.id, str(worker.id), "wuxi")
    assert event.data == {"reason": "核对社保缴费记录"}


@pytest.mark.parametrize("reason", ["", "%20%20"])
def test_a_reveal_without_a_reason_is_422_and_nothing_is_audited(
    client, auth_headers, make_user, make_worker, database, reason
):
    worker = make_worker()
    official = make_user("official", city="wuxi")
    suffix = f"&reason={reason}" if reason else ""
    response = client.get(
        f"/api/v1/workers/{worker.id}?reveal=id_number{suffix}", headers=auth_headers(official)
    )
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]["query"]
    assert database.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize("role", ["admin", "itself"])
def test_anyone_else_asking_to_reveal_gets_403_and_nothing_is_audited(
    client, auth_headers, make_user, make_worker, database, role
):
    worker = make_worker()
    user = make_user("admin") if role == "admin" else database_user(worker)
    response = client.get(
        f"/api/v1/workers/{worker.id}?reveal=id_number&reason=check", headers=auth_headers(user)
    )
    assert response.status_code == 403
    assert (
        database.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "worker.id_revealed")
        )
        == 0
    )


def test_an_unknown_reveal_value_is_422(client, auth_headers, make_user, make_worker):
    worker = make_worker()
    official = make_user("official", city="wuxi")
    response = client.get(
        f"/api/v1/workers/{worker.id}?reveal=phone", headers=auth_headers(official)
    )
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["employer", "broker", "official", "admin"])
def test_only_workers_have_worker_profiles(client, auth_headers, make_user, database, role):
    user = make_user(role, city="wuxi" if role == "official" else None)
    response = client.put(ME, json=worker_body(), headers=auth_headers(user))
    assert response.status_code == 403
    assert worker_count(database) == 0


def test_age_is_checked_against_the_city_date_of_registration(client, auth_headers, worker_user):
    # 23:30 UTC on 28 Feb is already 1 March in 无锡: a person born 1 March 2010 is 16 there.
    with time_machine.travel("2026-02-28T16:30:00+00:00", tick=False):
        response = put_me(
            client, auth_headers, worker_user, id_number=resident_id(birth=date(2010, 3, 1))
        )
    assert response.status_code == 200
