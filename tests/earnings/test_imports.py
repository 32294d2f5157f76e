"""Imports of income, premiums and training: admins only, all records or none, keys replace."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from marketplace.audit.models import AuditEvent
from marketplace.earnings.models import Contribution, Earning, TrainingRecord
from marketplace.extensions import db
from tests.conftest import resident_id
from tests.subsidies.conftest import NOW

EARNINGS = "/api/v1/earnings/import"
CONTRIBUTIONS = "/api/v1/contributions/import"
TRAINING = "/api/v1/training/import"


def count(database, model) -> int:
    return database.scalar(select(func.count()).select_from(model))


def income(id_number: str, month: str = "2026-01", income: str = "2700.00", hours=160):
    return {"id_number": id_number, "month": month, "hours": hours, "income": income}


@pytest.fixture
def post(client, auth_headers, admin):
    def send(path: str, body: dict, user=None):
        return client.post(path, json=body, headers=auth_headers(user or admin))

    return send


def test_an_admin_imports_income_keeping_its_origin(post, person, database, admin):
    one, two = person(), person()
    response = post(
        EARNINGS,
        {
            "source": "老平台迁移",
            "records": [income(one.id_number), income(two.id_number, hours="7.5")],
        },
    )
    assert response.status_code == 200
    assert response.get_json() == {"imported": 2, "replaced": 0}
    stored = database.scalars(select(Earning).order_by(Earning.id)).all()
    assert [(e.worker_id, e.month, e.hours, e.amount) for e in stored] == [
        (one.id, "2026-01", Decimal("160.00"), Decimal("2700.00")),
        (two.id, "2026-01", Decimal("7.50"), Decimal("2700.00")),
    ]
    assert {(e.source, e.booking_id, e.recorded_by) for e in stored} == {
        ("老平台迁移", None, admin.id)
    }
    assert {e.recorded_at for e in stored} == {NOW}


def test_each_imported_earning_is_an_audit_event(post, person, database, admin):
    one = person()
    post(EARNINGS, {"source": "migration", "records": [income(one.id_number)]})
    post(EARNINGS, {"source": "migration", "records": [income(one.id_number, income="2800.00")]})
    imported = database.scalars(
        select(AuditEvent).where(AuditEvent.action == "earning.imported").order_by(AuditEvent.seq)
    ).all()
    assert [(e.actor_id, e.city, e.data["replaced"]) for e in imported] == [
        (admin.id, "wuxi", False),
        (admin.id, "wuxi", True),
    ]
    assert imported[1].data["amount"] == "2800.00"
    assert imported[1].data["previous"]["amount"] == "2700.00"


def test_resending_the_same_source_worker_and_month_replaces_never_doubles(post, person, database):
    one = person()
    post(EARNINGS, {"source": "migration", "records": [income(one.id_number)]})
    again = post(
        EARNINGS, {"source": "migration", "records": [income(one.id_number, income="3000.00")]}
    )
    assert again.get_json() == {"imported": 0, "replaced": 1}
    [earning] = database.scalars(select(Earning)).all()
    assert earning.amount == Decimal("3000.00")


def test_another_source_for_the_same_month_is_another_record(post, person, database):
    one = person()
    post(EARNINGS, {"source": "migration", "records": [income(one.id_number)]})
    other = post(EARNINGS, {"source": "partner", "records": [income(one.id_number)]})
    assert other.get_json() == {"imported": 1, "replaced": 0}
    assert count(database, Earning) == 2


def test_an_id_number_is_matched_whatever_the_case_of_its_x(post, make_worker, database):
    number = next(n for n in iter(resident_id, None) if n.endswith("X"))
    worker = make_worker(id_number=number)
    response = post(EARNINGS, {"source": "migration", "records": [income(number.lower())]})
    assert response.status_code == 200
    assert database.scalar(select(Earning.worker_id)) == worker.id


def test_one_bad_record_stores_nothing_and_names_each_bad_record_by_index(post, person, database):
    one = person()
    logged = count(database, AuditEvent)
    response = post(
        EARNINGS,
        {
            "source": "migration",
            "records": [
                income(one.id_number, "2026-01"),
                income(one.id_number, "2026-13"),
                income(one.id_number, "2026-02", income=2700.5),
                income(one.id_number, "2026-03", hours="-1"),
                "not a record",
                income(one.id_number, "2026-04"),
            ],
        },
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "4 of 6 records are invalid; nothing was imported"
    errors = body["errors"]["records"]
    assert [error["index"] for error in errors] == [1, 2, 3, 4]
    assert errors[0]["message"].startswith("month:")
    assert errors[1]["message"].startswith("income:")
    assert errors[2]["message"].startswith("hours:")
    assert errors[3]["message"] == "must be an object"
    assert count(database, Earning) == 0
    assert count(database, AuditEvent) == logged


def test_an_id_number_of_no_worker_is_invalid_at_its_index(post, person, database):
    one = person()
    stranger = resident_id()
    response = post(
        EARNINGS, {"source": "migration", "records": [income(one.id_number), income(stranger)]}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "records": [{"index": 1, "message": "id_number: no worker profile has it"}]
    }
    assert stranger not in response.get_data(as_text=True)
    assert count(database, Earning) == 0


def test_a_malformed_id_number_is_invalid(post, person):
    one = person()
    broken = one.id_number[:17] + ("0" if one.id_number[17] != "0" else "1")
    response = post(EARNINGS, {"source": "migration", "records": [income(broken)]})
    [error] = response.get_json()["errors"]["records"]
    assert error["message"] == "id_number: is not a valid resident ID number (check character)"


def test_a_key_repeated_inside_a_request_is_invalid_at_its_later_index(post, person, database):
    one, two = person(), person()
    response = post(
        EARNINGS,
        {
            "source": "migration",
            "records": [
                income(one.id_number, "2026-01"),
                income(two.id_number, "2026-01"),
                income(one.id_number, "2026-02"),
                income(one.id_number, "2026-01", income="9999.00"),
            ],
        },
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["records"] == [
        {"index": 3, "message": "repeats the key (id_number, month 2026-01) of record 0"}
    ]
    assert count(database, Earning) == 0


def test_income_of_a_month_not_yet_begun_is_invalid(post, person):
    one = person()
    response = post(
        EARNINGS, {"source": "migration", "records": [income(one.id_number, "2026-08")]}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["records"][0]["index"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": []}, "source"),
        ({"source": "platform", "records": []}, "source"),
        ({"source": "migration", "records": []}, "records"),
        ({"source": "migration", "records": {"id_number": "x"}}, "records"),
    ],
)
def test_a_malformed_envelope_is_422_by_field(post, body, field):
    response = post(EARNINGS, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("role", ["worker", "employer", "broker", "official"])
def test_only_admins_import(client, auth_headers, make_user, person, role, database):
    one = person()
    user = make_user(role, city="wuxi" if role == "official" else None)
    for path, body in (
        (EARNINGS, {"source": "migration", "records": [income(one.id_number)]}),
        (CONTRIBUTIONS, {"records": []}),
        (TRAINING, {"records": []}),
    ):
        assert client.post(path, json=body, headers=auth_headers(user)).status_code == 403
    assert client.post(EARNINGS, json={}).status_code == 401
    assert count(database, Earning) == 0


def test_the_lookup_of_id_numbers_is_one_query_however_many_records(app, post, person):
    people = [person() for _ in range(12)]
    lookups: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        if "id_number_hash" in statement:
            lookups.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        records = [income(p.id_number) for p in people]
        assert post(EARNINGS, {"source": "migration", "records": records}).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(lookups) == 1


# --- premiums ---------------------------------------------------------------------------------


def premium(id_number: str, month: str = "2026-01", pension="600.00", medical="240.00"):
    return {"id_number": id_number, "month": month, "pension": pension, "medical": medical}


def test_premiums_are_imported_and_replaced_by_worker_and_month(post, person, database, admin):
    one = person()
    first = post(
        CONTRIBUTIONS, {"records": [premium(one.id_number), premium(one.id_number, "2026-02")]}
    )
    assert first.get_json() == {"imported": 2, "replaced": 0}
    again = post(CONTRIBUTIONS, {"records": [premium(one.id_number, pension="700.00")]})
    assert again.get_json() == {"imported": 0, "replaced": 1}
    stored = database.scalars(select(Contribution).order_by(Contribution.month)).all()
    assert [(c.month, c.pension, c.recorded_by) for c in stored] == [
        ("2026-01", Decimal("700.00"), admin.id),
        ("2026-02", Decimal("600.00"), admin.id),
    ]


def test_a_premium_key_repeated_or_malformed_stores_nothing(post, person, database):
    one = person()
    response = post(
        CONTRIBUTIONS,
        {
            "records": [
                premium(one.id_number),
                premium(one.id_number, medical=240),
                premium(one.id_number),
            ]
        },
    )
    assert response.status_code == 422
    assert [e["index"] for e in response.get_json()["errors"]["records"]] == [1, 2]
    assert count(database, Contribution) == 0


# --- training ---------------------------------------------------------------------------------


def course(id_number: str, name="家政服务", hours="20", on="2026-02-01"):
    return {"id_number": id_number, "course": name, "class_hours": hours, "completed_on": on}


def test_training_is_imported_with_class_hours_as_number_or_string(post, person, database):
    one = person()
    response = post(
        TRAINING,
        {"records": [course(one.id_number, hours=20), course(one.id_number, "养老护理", "10.5")]},
    )
    assert response.get_json() == {"imported": 2, "replaced": 0}
    stored = database.scalars(select(TrainingRecord).order_by(TrainingRecord.course)).all()
    assert [(t.course, t.class_hours) for t in stored] == [
        ("养老护理", Decimal("10.50")),
        ("家政服务", Decimal("20.00")),
    ]


def test_training_is_replaced_by_worker_course_and_day(post, person, database):
    one = person()
    post(TRAINING, {"records": [course(one.id_number)]})
    again = post(TRAINING, {"records": [course(one.id_number, hours="12")]})
    assert again.get_json() == {"imported": 0, "replaced": 1}
    other_day = post(TRAINING, {"records": [course(one.id_number, on="2026-03-01")]})
    assert other_day.get_json() == {"imported": 1, "replaced": 0}
    assert count(database, TrainingRecord) == 2


@pytest.mark.parametrize(
    "record",
    [
        {"hours": 0},
        {"hours": "1.234"},
        {"hours": True},
        {"on": "2026-07-03"},  # after today
        {"name": ""},
    ],
)
def test_malformed_training_stores_nothing(post, person, database, record):
    one = person()
    response = post(TRAINING, {"records": [course(one.id_number, **record)]})
    assert response.status_code == 422
    assert count(database, TrainingRecord) == 0


def test_a_training_key_repeated_is_invalid_at_its_later_index(post, person):
    one = person()
    response = post(
        TRAINING, {"records": [course(one.id_number, hours="5"), course(one.id_number, hours="6")]}
    )
    assert response.get_json()["errors"]["records"] == [
        {
            "index": 1,
            "message": "repeats the key (id_number, course 家政服务, completed_on 2026-02-01) "
            "of record 0",
        }
    ]


def test_import_idempotency_key_replays_the_first_answer(client, auth_headers, admin, person):
    one = person()
    body = {"source": "migration", "records": [income(one.id_number)]}
    headers = {**auth_headers(admin), "Idempotency-Key": "import-1"}
    first = client.post(EARNINGS, json=body, headers=headers)
    second = client.post(EARNINGS, json=body, headers=headers)
    assert first.get_json() == second.get_json() == {"imported": 1, "replaced": 0}
    assert second.headers["Idempotent-Replayed"] == "true"


def test_training_of_a_day_is_kept_as_a_date(post, person, database):
    one = person()
    post(TRAINING, {"records": [course(one.id_number)]})
    assert database.scalar(select(TrainingRecord.completed_on)) == date(2026, 2, 1)
