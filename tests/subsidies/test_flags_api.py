"""The officials' desk over HTTP: evaluations, the flag list, decisions, a worker's view."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.subsidies.evaluation import evaluator
from tests.subsidies.conftest import codes, due_in_both_cities, flags_of, trainee

EVALUATIONS = "/api/v1/subsidies/evaluations"
FLAGS = "/api/v1/subsidies/flags"
MY_FLAGS = "/api/v1/workers/me/subsidy-flags"


@pytest.fixture
def due(person, database):
    """A 无锡 worker with a platform-service run and a 西宁 worker with a premium month."""
    return due_in_both_cities(person, database)


@pytest.fixture
def flagged(due, database):
    evaluator.evaluate("wuxi", date(2026, 7, 1))
    evaluator.evaluate("xining", date(2026, 7, 1))
    database.commit()
    wuxi, xining = due
    return flags_of(database, wuxi.id)[0], flags_of(database, xining.id)[0]


def audit_count(database) -> int:
    return database.scalar(select(func.count()).select_from(AuditEvent))


# --- evaluations on demand --------------------------------------------------------------------


def test_an_official_evaluates_their_city_and_a_second_run_creates_nothing(
    client, auth_headers, wuxi_official, due, database
):
    headers = auth_headers(wuxi_official)
    first = client.post(EVALUATIONS, json={"city": "wuxi", "as_of": "2026-07-01"}, headers=headers)
    assert first.status_code == 200
    assert first.get_json() == {"evaluated": 1, "created": 1, "updated": 0}
    second = client.post(EVALUATIONS, json={"city": "wuxi"}, headers=headers)  # as of today
    assert second.get_json() == {"evaluated": 1, "created": 0, "updated": 0}
    created = database.scalar(select(AuditEvent).where(AuditEvent.action == "flag.created"))
    assert created.actor_id == wuxi_official.id and created.data["trigger"] == "on_demand"


def test_an_admin_evaluates_any_city(client, auth_headers, admin, due):
    response = client.post(EVALUATIONS, json={"city": "xining"}, headers=auth_headers(admin))
    assert response.get_json() == {"evaluated": 1, "created": 1, "updated": 0}


def test_another_citys_official_may_not_evaluate(
    client, auth_headers, xining_official, due, database
):
    response = client.post(
        EVALUATIONS, json={"city": "wuxi"}, headers=auth_headers(xining_official)
    )
    assert response.status_code == 403
    assert flags_of(database, due[0].id) == []


@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_only_officials_and_admins_evaluate(client, auth_headers, make_user, role):
    response = client.post(
        EVALUATIONS, json={"city": "wuxi"}, headers=auth_headers(make_user(role))
    )
    assert response.status_code == 403
    assert client.post(EVALUATIONS, json={"city": "wuxi"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"city": "wuxi", "as_of": "2026-07-03"}, "as_of"),  # tomorrow in 无锡
        ({"city": "wuxi", "as_of": "2026-7-1"}, "as_of"),
        ({"city": "beijing"}, "city"),
        ({}, "city"),
    ],
)
def test_an_evaluation_of_the_future_or_nowhere_is_422(
    client, auth_headers, admin, due, database, body, field
):
    logged = audit_count(database)
    response = client.post(EVALUATIONS, json=body, headers=auth_headers(admin))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert audit_count(database) == logged


# --- the flag list ----------------------------------------------------------------------------


def test_an_official_lists_their_citys_flags_only(client, auth_headers, wuxi_official, flagged):
    wuxi_flag, _ = flagged
    response = client.get(FLAGS, headers=auth_headers(wuxi_official))
    assert response.status_code == 200
    [flag] = response.get_json()
    assert flag["id"] == wuxi_flag.id
    assert set(flag) >= {
        "id", "worker_id", "policy_id", "program", "beneficiary", "amount", "period_start",
        "period_end", "status", "evidence", "explanation", "risk_signals", "created_at",
        "decided_at", "decided_by", "decision_reason",
    }  # fmt: skip
    assert (flag["amount"], flag["period_start"], flag["status"]) == (
        "800.00",
        "2026-01",
        "pending",
    )
    assert flag["created_at"].endswith("+08:00")
    assert json.loads(response.headers["X-Pagination"])["total"] == 1
    other = client.get(FLAGS, query_string={"city": "xining"}, headers=auth_headers(wuxi_official))
    assert other.status_code == 403


def test_an_admin_lists_every_city_and_filters(client, auth_headers, admin, flagged):
    wuxi_flag, xining_flag = flagged
    headers = auth_headers(admin)
    assert {f["id"] for f in client.get(FLAGS, headers=headers).get_json()} == {
        wuxi_flag.id,
        xining_flag.id,
    }
    for query, expected in (
        ({"program": "social_insurance"}, [xining_flag.id]),
        ({"policy_id": "wuxi-2021-26"}, [wuxi_flag.id]),
        ({"worker_id": xining_flag.worker_id}, [xining_flag.id]),
        ({"status": "approved"}, []),
        ({"city": "xining"}, [xining_flag.id]),
    ):
        found = client.get(FLAGS, query_string=query, headers=headers).get_json()
        assert [f["id"] for f in found] == expected, query
    bad = client.get(FLAGS, query_string={"status": "maybe"}, headers=headers)
    assert bad.status_code == 422


def test_the_programme_filter_knows_the_programmes_that_have_a_file(
    client, auth_headers, admin, flagged
):
    headers = auth_headers(admin)
    for code in ("platform_service", "social_insurance", "training"):
        assert client.get(FLAGS, query_string={"program": code}, headers=headers).status_code == 200
    # 一次性创业补贴 is not a rule yet (POLICIES.md "Not yet rules"): no file, no programme.
    unknown = client.get(FLAGS, query_string={"program": "entrepreneurship"}, headers=headers)
    assert unknown.status_code == 422
    assert "program" in unknown.get_json()["errors"]["query"]


def test_the_month_filter_finds_flags_whose_period_covers_it(client, auth_headers, admin, flagged):
    wuxi_flag, xining_flag = flagged  # 2026-01 … 2026-06, and 2026-01
    headers = auth_headers(admin)
    for month, expected in (
        ("2026-01", [wuxi_flag.id, xining_flag.id]),
        ("2026-06", [wuxi_flag.id]),
        ("2026-07", []),
        ("2025-12", []),
    ):
        found = client.get(FLAGS, query_string={"month": month}, headers=headers).get_json()
        assert [f["id"] for f in found] == expected, month
    for bad in ("2026-13", "2026-1", "june"):
        response = client.get(FLAGS, query_string={"month": bad}, headers=headers)
        assert response.status_code == 422
        assert "month" in response.get_json()["errors"]["query"]


def test_the_month_filter_finds_a_training_flag_by_its_completion_month(
    client, auth_headers, admin, person, database
):
    worker = trainee(person, database)
    record = {"id_number": worker.id_number, "course": "家政服务", "class_hours": 2}
    client.post(
        "/api/v1/training/import",
        json={"records": [{**record, "completed_on": "2026-03-10"}]},
        headers=auth_headers(admin),
    )
    [flag] = flags_of(database, worker.id)
    headers = auth_headers(admin)
    for month, expected in (("2026-03", [flag.id]), ("2026-02", []), ("2026-04", [])):
        found = client.get(FLAGS, query_string={"month": month}, headers=headers).get_json()
        assert [f["id"] for f in found] == expected, month


def test_the_risk_filter_finds_flags_carrying_a_signal_or_none(
    client, auth_headers, admin, flagged, database
):
    wuxi_flag, xining_flag = flagged
    # Imported income (no attendance behind it), group dates entered after the months they count.
    assert codes(wuxi_flag) == ["no_attendance", "group_entered_late"]
    database.get(type(xining_flag), xining_flag.id).risk_signals = []
    database.commit()
    headers = auth_headers(admin)
    for signal, expected in (
        ("no_attendance", [wuxi_flag.id]),
        ("group_entered_late", [wuxi_flag.id]),
        ("single_employer", []),
        ("none", [xining_flag.id]),
    ):
        found = client.get(FLAGS, query_string={"risk_signal": signal}, headers=headers)
        assert [f["id"] for f in found.get_json()] == expected, signal
    unknown = client.get(FLAGS, query_string={"risk_signal": "no_attend"}, headers=headers)
    assert unknown.status_code == 422


@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_others_may_not_list_flags(client, auth_headers, make_user, role):
    assert client.get(FLAGS, headers=auth_headers(make_user(role))).status_code == 403


# --- a worker's own flags ---------------------------------------------------------------------


def test_a_worker_sees_their_own_flags_without_risk_signals(client, auth_headers, flagged, due):
    wuxi, _ = due
    assert flagged[0].risk_signals  # imported income: the officials see a signal
    response = client.get(MY_FLAGS, headers=auth_headers(wuxi.user))
    assert response.status_code == 200
    [flag] = response.get_json()
    assert flag["id"] == flagged[0].id and flag["amount"] == "800.00"
    assert "risk_signals" not in flag
    assert flag["explanation"] and flag["evidence"]


def test_only_workers_have_their_own_flags(client, auth_headers, wuxi_official, make_user):
    assert client.get(MY_FLAGS, headers=auth_headers(wuxi_official)).status_code == 403
    assert client.get(MY_FLAGS, headers=auth_headers(make_user("worker"))).status_code == 404


# --- decisions --------------------------------------------------------------------------------


def decide(client, headers, flag_id, **body):
    return client.post(f"{FLAGS}/{flag_id}/decision", json=body, headers=headers)


def test_an_official_of_the_flags_city_approves_it(
    client, auth_headers, wuxi_official, flagged, database
):
    flag = flagged[0]
    response = decide(client, auth_headers(wuxi_official), flag.id, decision="approve")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "approved" and body["decided_by"] == wuxi_official.id
    assert body["decided_at"] == "2026-07-02T10:00:00+08:00" and body["decision_reason"] is None
    event = database.scalar(select(AuditEvent).where(AuditEvent.action == "flag.approved"))
    assert event.entity_id == str(flag.id) and event.actor_id == wuxi_official.id
    assert event.city == "wuxi" and event.data["amount"] == "800.00"


def test_a_rejection_keeps_its_reason(client, auth_headers, wuxi_official, flagged, database):
    response = decide(
        client, auth_headers(wuxi_official), flagged[0].id, decision="reject", reason="收入无考勤"
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    assert response.get_json()["decision_reason"] == "收入无考勤"
    event = database.scalar(select(AuditEvent).where(AuditEvent.action == "flag.rejected"))
    assert event.data["reason"] == "收入无考勤"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_rejection_without_a_reason_is_422_and_changes_nothing(
    client, auth_headers, wuxi_official, flagged, database, reason
):
    logged = audit_count(database)
    response = decide(
        client, auth_headers(wuxi_official), flagged[0].id, decision="reject", reason=reason
    )
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]["json"]
    assert flags_of(database, flagged[0].worker_id)[0].status == "pending"
    assert audit_count(database) == logged


def test_a_decided_flag_answers_409(client, auth_headers, wuxi_official, flagged):
    headers = auth_headers(wuxi_official)
    assert decide(client, headers, flagged[0].id, decision="approve").status_code == 200
    again = decide(client, headers, flagged[0].id, decision="reject", reason="改主意")
    assert again.status_code == 409
    assert decide(client, headers, flagged[0].id, decision="approve").status_code == 409


def test_an_admin_may_not_decide(client, auth_headers, admin, flagged, database):
    response = decide(client, auth_headers(admin), flagged[0].id, decision="approve")
    assert response.status_code == 403
    assert flags_of(database, flagged[0].worker_id)[0].status == "pending"


def test_another_citys_official_does_not_see_the_flag(
    client, auth_headers, xining_official, flagged
):
    response = decide(client, auth_headers(xining_official), flagged[0].id, decision="approve")
    assert response.status_code == 404
    missing = decide(client, auth_headers(xining_official), 999_999, decision="approve")
    assert missing.status_code == 404


@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_others_may_not_decide(client, auth_headers, make_user, flagged, role):
    response = decide(client, auth_headers(make_user(role)), flagged[0].id, decision="approve")
    assert response.status_code == 403


def test_a_decision_needs_approve_or_reject(client, auth_headers, wuxi_official, flagged):
    response = decide(client, auth_headers(wuxi_official), flagged[0].id, decision="maybe")
    assert response.status_code == 422


def test_a_rejected_training_flag_frees_its_share_at_once(
    client, auth_headers, admin, wuxi_official, person, database
):
    worker = trainee(person, database)
    records = [
        {"id_number": worker.id_number, "course": c, "class_hours": h, "completed_on": d}
        for c, h, d in (
            ("家政服务", 20, "2026-01-10"),
            ("养老护理", 10, "2026-02-10"),
            ("餐饮服务", 4, "2026-03-10"),
        )
    ]
    client.post("/api/v1/training/import", json={"records": records}, headers=auth_headers(admin))
    first, second = flags_of(database, worker.id)
    assert (first.amount, second.amount) == (370, 130)  # the cap of 500.00 is reached

    decide(client, auth_headers(wuxi_official), first.id, decision="reject", reason="未参训")

    amounts = {f.key: (f.status, str(f.amount)) for f in flags_of(database, worker.id)}
    assert amounts == {
        "2026-01-10 家政服务": ("rejected", "370.00"),
        "2026-02-10 养老护理": ("pending", "185.00"),
        "2026-03-10 餐饮服务": ("pending", "74.00"),
    }
