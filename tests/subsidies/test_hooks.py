"""Hooks: a change of a worker's facts re-evaluates the worker at once, in the same transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from marketplace import events
from marketplace.audit.models import AuditEvent
from marketplace.subsidies import hooks
from tests.conftest import worker_body
from tests.subsidies.conftest import (
    FIRST_HALF,
    add_booking_earning,
    add_income,
    codes,
    flags_of,
    trainee,
)


def income_records(person, months=FIRST_HALF, amount="2700.00"):
    return [
        {"id_number": person.id_number, "month": month, "hours": 160, "income": amount}
        for month in months
    ]


def test_the_hooks_listen_to_every_change_of_the_facts():
    assert hooks.on_earning_recorded in events.handlers(events.EARNING_RECORDED)
    assert hooks.on_groups_changed in events.handlers(events.WORKER_GROUPS_CHANGED)
    for event in (
        events.EARNINGS_IMPORTED,
        events.CONTRIBUTIONS_IMPORTED,
        events.TRAINING_IMPORTED,
    ):
        assert hooks.on_import in events.handlers(event)


def test_an_income_import_raises_the_flag_at_once(client, auth_headers, admin, person, database):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    response = client.post(
        "/api/v1/earnings/import",
        json={"source": "migration", "records": income_records(worker)},
        headers=auth_headers(admin),
    )
    assert response.status_code == 200
    [flag] = flags_of(database, worker.id)
    assert (flag.program, flag.amount, flag.evaluated_on) == (
        "platform_service",
        Decimal("800.00"),
        date(2026, 7, 2),  # today in 无锡
    )
    created = database.scalar(select(AuditEvent).where(AuditEvent.action == "flag.created"))
    assert created.data["trigger"] == "import" and created.data["as_of"] == "2026-07-02"


def test_a_rejected_import_raises_no_flag(client, auth_headers, admin, person, database):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    records = [*income_records(worker), {"id_number": worker.id_number, "month": "bad"}]
    response = client.post(
        "/api/v1/earnings/import",
        json={"source": "migration", "records": records},
        headers=auth_headers(admin),
    )
    assert response.status_code == 422
    assert flags_of(database, worker.id) == []


def test_a_premium_import_raises_the_social_insurance_flag_at_once(
    client, auth_headers, admin, person, database
):
    # POLICIES.md worked example 3: a graduate of 2025-06-30, first income 2025-09.
    worker = person(graduated_on=date(2025, 6, 30))
    add_income(database, worker.id, ["2025-09"], "3000.00")
    response = client.post(
        "/api/v1/contributions/import",
        json={
            "records": [
                {
                    "id_number": worker.id_number,
                    "month": "2025-09",
                    "pension": "600.00",
                    "medical": "240.00",
                }
            ]
        },
        headers=auth_headers(admin),
    )
    assert response.status_code == 200
    [flag] = flags_of(database, worker.id)
    assert (flag.program, flag.key, flag.amount) == (
        "social_insurance",
        "2025-09",
        Decimal("560.00"),
    )
    assert flag.evidence["period_end"] == "2027-08"


def test_a_training_import_raises_the_training_flag_at_once(
    client, auth_headers, admin, person, database
):
    worker = trainee(person, database)
    client.post(
        "/api/v1/training/import",
        json={
            "records": [
                {
                    "id_number": worker.id_number,
                    "course": "家政服务",
                    "class_hours": 20,
                    "completed_on": "2026-02-01",
                }
            ]
        },
        headers=auth_headers(admin),
    )
    [flag] = flags_of(database, worker.id)
    assert (flag.program, flag.key, flag.amount) == (
        "training",
        "2026-02-01 家政服务",
        Decimal("370.00"),
    )


def test_a_group_change_updates_the_pending_flag_at_once(client, auth_headers, person, database):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    assert flags_of(database, worker.id) == []  # written straight to the table: no hook ran

    body = worker_body(
        id_number=worker.id_number,
        unemployment_registered_on="2025-12-10",
        difficulty_certified_on="2025-12-01",
    )
    assert (
        client.put("/api/v1/workers/me", json=body, headers=auth_headers(worker.user)).status_code
        == 200
    )

    [flag] = flags_of(database, worker.id)
    assert flag.amount == Decimal("1000.00") and flag.evidence["group"] == "difficulty"


def test_a_group_change_raises_a_flag_at_once(client, auth_headers, person, database):
    worker = person()
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    body = worker_body(id_number=worker.id_number, unemployment_registered_on="2025-12-10")
    client.put("/api/v1/workers/me", json=body, headers=auth_headers(worker.user))
    [flag] = flags_of(database, worker.id)
    assert flag.amount == Decimal("800.00")
    # Entered today, after the months it unlocks: the officials are told.
    assert "group_entered_late" in codes(flag)

    body["difficulty_certified_on"] = "2025-12-01"
    client.put("/api/v1/workers/me", json=body, headers=auth_headers(worker.user))
    [flag] = flags_of(database, worker.id)
    assert flag.amount == Decimal("1000.00")
    updated = database.scalar(select(AuditEvent).where(AuditEvent.action == "flag.updated"))
    assert updated.data["changes"]["amount"] == {"from": "800.00", "to": "1000.00"}
    assert updated.data["trigger"] == events.WORKER_GROUPS_CHANGED.name


def test_a_recorded_earning_raises_the_flag_at_once(person, shift_of, database):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    shift = shift_of()
    for month in range(1, 6):
        add_booking_earning(database, worker.id, shift, date(2026, month, 10), "2700.00")
    last = add_booking_earning(database, worker.id, shift, date(2026, 6, 10), "2700.00")
    assert flags_of(database, worker.id) == []

    events.emit(events.EARNING_RECORDED, earning=last)

    [flag] = flags_of(database, worker.id)
    assert (flag.program, flag.period_end) == ("platform_service", "2026-06")
