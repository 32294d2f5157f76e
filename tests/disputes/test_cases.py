"""Complaint cases (contract v1.1): escalated disputes and pay alerts are cases of the city's
officials; the official and both parties write notes; the official resolves, and upheld with an
amount records what is owed. Wage arrears count from the end of the work."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.bookings.models import Booking
from marketplace.disputes.models import Case, Dispute
from marketplace.earnings.models import Alert, Earning
from marketplace.notifications.models import Notification
from tests.bookings.conftest import SITE, at
from tests.conftest import shift_times
from tests.disputes.conftest import Approved


def _cases(client, headers, **query):
    response = client.get("/api/v1/cases", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _resolve(client, headers, case_id, **body):
    body = {"outcome": "upheld", "reason": "考勤显示工作8小时", **body}
    return client.post(f"/api/v1/cases/{case_id}/resolve", json=body, headers=headers)


def _note(client, headers, case_id, text="请提供考勤记录"):
    return client.post(f"/api/v1/cases/{case_id}/notes", json={"text": text}, headers=headers)


# --- who sees cases ---------------------------------------------------------------------------


def test_officials_see_their_city_s_cases_and_the_parties_their_own(
    approved, client, official, headers_of, make_user, auth_headers, make_worker, make_employer
):
    case_id = approved.escalated_case()
    assert [case["id"] for case in _cases(client, official, status="open")] == [case_id]
    assert _cases(client, official, status="resolved") == []
    xining = auth_headers(make_user("official", city="xining"))
    assert _cases(client, xining) == []
    assert client.get("/api/v1/cases?city=wuxi", headers=xining).status_code == 403
    admin = auth_headers(make_user("admin"))
    assert len(_cases(client, admin, city="wuxi")) == 1
    assert len(_cases(client, admin, city="xining")) == 0
    assert len(_cases(client, headers_of(approved.employer))) == 1
    assert _cases(client, headers_of(make_worker())) == []
    assert _cases(client, headers_of(make_employer())) == []


def test_a_case_reads_with_attendance_earnings_and_notes_and_is_404_to_others(
    approved, client, official, headers_of, make_worker, make_user, auth_headers
):
    case_id = approved.escalated_case()
    _note(client, official, case_id)
    detail = client.get(f"/api/v1/cases/{case_id}", headers=official).get_json()
    assert detail["kind"] == "dispute" and detail["dispute"]["claimed_hours"] == "8.00"
    assert detail["attendance"]["checked_in_at"] and detail["attendance"]["checked_out_at"]
    assert detail["attendance"]["check_in_distance_m"] is not None
    assert [(e["source"], e["amount"]) for e in detail["earnings"]] == [("platform", "180.00")]
    assert [(n["author_role"], n["text"]) for n in detail["notes"]] == [
        ("official", "请提供考勤记录")
    ]
    assert (
        client.get(f"/api/v1/cases/{case_id}", headers=headers_of(make_worker())).status_code == 404
    )
    xining = auth_headers(make_user("official", city="xining"))
    assert client.get(f"/api/v1/cases/{case_id}", headers=xining).status_code == 404


# --- notes ------------------------------------------------------------------------------------


def test_the_official_and_both_parties_write_notes_and_the_others_are_told(
    approved, client, official, headers_of, database
):
    case_id = approved.escalated_case()
    assert _note(client, official, case_id).status_code == 201
    assert _note(client, headers_of(approved.worker), case_id, "我有工友作证").status_code == 201
    assert _note(client, headers_of(approved.employer), case_id, "可以提供监控").status_code == 201
    told = database.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == approved.employer.user_id, Notification.kind == "case_note")
    )
    assert told == 2  # the official's and the worker's, not its own


def test_an_admin_or_a_stranger_writes_no_note(
    approved, client, headers_of, make_user, auth_headers, make_employer
):
    case_id = approved.escalated_case()
    assert _note(client, auth_headers(make_user("admin")), case_id).status_code == 403
    assert _note(client, headers_of(make_employer()), case_id).status_code == 404


# --- resolving --------------------------------------------------------------------------------


def test_upheld_with_an_amount_records_the_adjustment_and_both_parties_are_told(
    approved, client, official, database
):
    case_id = approved.escalated_case()
    response = _resolve(client, official, case_id, amount="60.00")
    assert response.status_code == 200
    case = response.get_json()
    assert (case["status"], case["outcome"], case["amount"]) == ("resolved", "upheld", "60.00")
    database.expire_all()
    adjustment = database.get(Earning, case["adjustment_id"])
    assert (adjustment.source, adjustment.amount, adjustment.hours) == (
        "adjustment",
        Decimal("60.00"),
        Decimal("2.00"),
    )
    assert database.get(Dispute, case["dispute_id"]).status == "resolved"
    for user_id in (approved.worker.user_id, approved.employer.user_id):
        assert database.scalar(
            select(Notification.message).where(
                Notification.user_id == user_id, Notification.kind == "case_resolved"
            )
        ).startswith(f"案件 {case_id}")
    assert database.scalar(select(func.count()).where(AuditEvent.action == "case.resolved")) == 1


@pytest.mark.parametrize("outcome", ["dismissed", "settled"])
def test_an_amount_goes_only_with_upheld(approved, client, official, database, outcome):
    case_id = approved.escalated_case()
    response = _resolve(client, official, case_id, outcome=outcome, amount="60.00")
    assert response.status_code == 422 and "amount" in response.get_json()["errors"]["json"]
    assert database.get(Case, case_id).status == "open"
    assert _resolve(client, official, case_id, outcome=outcome).status_code == 200


def test_a_case_is_resolved_once(approved, client, official):
    case_id = approved.escalated_case()
    assert _resolve(client, official, case_id, outcome="dismissed").status_code == 200
    assert _resolve(client, official, case_id, amount="60.00").status_code == 409
    assert _note(client, official, case_id).status_code == 409


def test_only_an_official_of_the_city_resolves(
    approved, client, headers_of, make_user, auth_headers
):
    case_id = approved.escalated_case()
    xining = auth_headers(make_user("official", city="xining"))
    assert _resolve(client, xining, case_id).status_code == 404
    for headers in (
        headers_of(approved.worker),
        headers_of(approved.employer),
        auth_headers(make_user("admin")),
    ):
        assert _resolve(client, headers, case_id).status_code == 403


# --- alerts are cases -------------------------------------------------------------------------


def test_wage_arrears_open_a_case_that_payment_settles(approved, client, official, scheduled):
    ended = approved.shift.ends_at
    assert scheduled("wage_arrears", ended + timedelta(days=15) - timedelta(minutes=1)) == 0
    assert scheduled("wage_arrears", ended + timedelta(days=15, minutes=1)) == 1
    [case] = _cases(client, official)
    assert case["kind"] == "wage_arrears" and case["earning_id"] is not None
    with at(ended + timedelta(days=16)):
        assert approved.as_employer("paid").status_code == 200
    [settled] = _cases(client, official)
    assert (settled["status"], settled["outcome"]) == ("resolved", "settled")
    assert "已登记支付" in settled["reason"]


def test_an_unpaid_adjustment_is_in_arrears_15_days_after_it_was_recorded(
    approved, client, official, scheduled, database
):
    with at(approved.approved_at):
        assert approved.as_employer("paid").status_code == 200
    dispute = approved.dispute().get_json()
    approved.respond(dispute["id"], accept=True)
    accepted = approved.approved_at + timedelta(days=2)
    assert scheduled("wage_arrears", accepted + timedelta(days=14)) == 0
    assert scheduled("wage_arrears", accepted + timedelta(days=15, minutes=1)) == 1
    with at(accepted + timedelta(days=16)):
        paid = approved.as_employer("paid")
    assert paid.status_code == 200 and paid.get_json()["source"] == "adjustment"
    database.expire_all()
    assert database.scalar(select(func.count()).where(Earning.paid_at.is_(None))) == 0
    with at(accepted + timedelta(days=16)):
        assert approved.as_employer("paid").status_code == 409


@pytest.fixture
def unapproved(client, headers_of, database, make_worker, make_job):
    """A booking worked and checked out that its employer never approves."""
    job = make_job(shifts=[{**shift_times(days_ahead=2, hours=8), "headcount": 1}])
    story = Approved(client, headers_of, database, make_worker(), job.shifts[0])
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
    with at(story.shift.ends_at):
        story.as_worker("check-out", **SITE)
    return story


def test_hours_not_approved_seven_days_after_the_shift_open_a_case_once(
    unapproved, client, official, scheduled, database
):
    ended = unapproved.shift.ends_at
    assert scheduled("wage_arrears", ended + timedelta(days=7) - timedelta(minutes=1)) == 0
    assert scheduled("wage_arrears", ended + timedelta(days=7, minutes=1)) == 1
    assert scheduled("wage_arrears", ended + timedelta(days=8)) == 0
    [case] = _cases(client, official)
    assert case["kind"] == "unapproved_timesheet" and case["earning_id"] is None
    assert database.scalar(
        select(Notification.kind).where(
            Notification.user_id == unapproved.worker.user_id,
            Notification.kind == "unapproved_timesheet",
        )
    )
    with at(ended + timedelta(days=9)):
        assert unapproved.as_employer("approve").status_code == 200
    [settled] = _cases(client, official)
    assert settled["outcome"] == "settled"
    assert database.scalar(select(Alert.resolved_at)) is not None


def test_upheld_on_hours_never_approved_completes_the_booking_with_the_decided_pay(
    unapproved, client, official, scheduled, database
):
    scheduled("wage_arrears", unapproved.shift.ends_at + timedelta(days=8))
    [case] = _cases(client, official)
    response = _resolve(client, official, case["id"], amount="240.00")
    assert response.status_code == 200
    database.expire_all()
    booking = database.get(Booking, unapproved.booking_id)
    assert booking.status == "completed"
    earning = database.scalar(select(Earning).where(Earning.booking_id == booking.id))
    assert (earning.source, earning.amount) == ("platform", Decimal("240.00"))
    assert response.get_json()["adjustment_id"] == earning.id
