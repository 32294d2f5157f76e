"""Disputes (contract v1.1 "Disputes and complaint cases"): a worker disputes approved hours or
pay within 7 days; the employer's side accepts (an adjustment, the original never changed) or
refuses (a case); no answer in 3 days escalates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.auth.models import User
from marketplace.disputes.models import Case, Dispute
from marketplace.earnings import services as earnings
from marketplace.earnings.models import Earning
from marketplace.notifications.models import Notification
from tests.bookings.conftest import at


def _earnings(database, booking_id):
    database.expire_all()
    return list(
        database.scalars(
            select(Earning).where(Earning.booking_id == booking_id).order_by(Earning.id)
        )
    )


def _kinds_told(database, user_id):
    return set(database.scalars(select(Notification.kind).where(Notification.user_id == user_id)))


def _audited(database, action):
    return database.scalar(select(func.count()).where(AuditEvent.action == action))


# --- opening ---------------------------------------------------------------------------------


def test_the_worker_disputes_approved_hours_and_the_employer_is_told(approved, database):
    response = approved.dispute()
    assert response.status_code == 201
    dispute = response.get_json()
    assert dispute["status"] == "open" and dispute["kind"] == "hours"
    assert dispute["claimed_hours"] == "8.00" and dispute["booking_id"] == approved.booking_id
    assert "dispute_opened" in _kinds_told(database, approved.employer.user_id)
    assert _audited(database, "dispute.opened") == 1


def test_a_booking_not_yet_approved_cannot_be_disputed(
    client, headers_of, database, make_worker, make_job
):
    from tests.conftest import shift_times
    from tests.disputes.conftest import Approved

    job = make_job(shifts=[{**shift_times(days_ahead=2), "headcount": 1}])
    story = Approved(client, headers_of, database, make_worker(), job.shifts[0])
    story.book()
    assert story.dispute().status_code == 409
    assert database.scalar(select(func.count()).select_from(Dispute)) == 0


def test_the_seven_days_to_dispute_end(approved):
    assert (
        approved.dispute(when=approved.approved_at + timedelta(days=7, minutes=1)).status_code
        == 409
    )
    assert approved.dispute(when=approved.approved_at + timedelta(days=7)).status_code == 201


def test_a_second_dispute_while_one_is_open_is_409(approved):
    assert approved.dispute().status_code == 201
    second = approved.dispute(kind="pay", claimed_hours=None, claimed_amount="300.00")
    assert second.status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "hours", "claimed_hours": None}, "claimed_hours"),
        ({"kind": "hours", "claimed_amount": "300.00"}, "claimed_amount"),
        ({"kind": "pay", "claimed_hours": None}, "claimed_amount"),
        ({"kind": "hours", "claimed_hours": "6.00"}, "claimed_hours"),  # no more than recorded
        ({"kind": "pay", "claimed_hours": None, "claimed_amount": "180.00"}, "claimed_amount"),
        ({"kind": "other", "claimed_hours": "8.00"}, "claimed_hours"),
        ({"kind": "hours", "claimed_hours": "25.00"}, "claimed_hours"),
        ({"detail": ""}, "detail"),
    ],
)
def test_a_claim_that_does_not_fit_its_kind_is_422_and_writes_nothing(
    approved, database, body, field
):
    response = approved.dispute(**body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert database.scalar(select(func.count()).select_from(Dispute)) == 0


def test_only_the_booking_s_worker_disputes_it(approved, make_worker, headers_of):
    assert approved.dispute(by=make_worker()).status_code == 404
    assert approved.dispute(by=approved.employer).status_code == 403


# --- answering -------------------------------------------------------------------------------


def test_accepting_a_dispute_of_hours_records_an_adjustment_and_never_changes_the_original(
    approved, database
):
    dispute = approved.dispute().get_json()
    response = approved.respond(dispute["id"], accept=True)
    assert response.status_code == 200
    answered = response.get_json()
    assert answered["status"] == "resolved" and answered["adjustment_id"] is not None
    original, adjustment = _earnings(database, approved.booking_id)
    assert (original.hours, original.amount, original.source) == (
        Decimal("6.00"),
        Decimal("180.00"),
        "platform",
    )
    assert adjustment.id == answered["adjustment_id"]
    assert (adjustment.source, adjustment.adjusts) == ("adjustment", original.id)
    assert (adjustment.hours, adjustment.amount, adjustment.month) == (
        Decimal("2.00"),
        Decimal("60.00"),
        original.month,
    )
    assert "dispute_resolved" in _kinds_told(database, approved.worker.user_id)
    assert _audited(database, "dispute.resolved") == 1
    assert _audited(database, "earning.adjusted") == 1


def test_accepting_a_dispute_of_pay_adjusts_by_the_difference(approved, database):
    dispute = approved.dispute(kind="pay", claimed_hours=None, claimed_amount="250.00").get_json()
    assert approved.respond(dispute["id"], accept=True).status_code == 200
    adjustment = _earnings(database, approved.booking_id)[1]
    assert (adjustment.hours, adjustment.amount) == (Decimal("0.00"), Decimal("70.00"))


def test_accepting_a_dispute_of_something_else_moves_no_money(approved, database):
    dispute = approved.dispute(kind="other", claimed_hours=None, detail="现场主管辱骂").get_json()
    answered = approved.respond(dispute["id"], accept=True).get_json()
    assert answered["status"] == "resolved" and answered["adjustment_id"] is None
    assert len(_earnings(database, approved.booking_id)) == 1


def test_an_adjustment_is_income_the_worker_reads_the_rules_and_the_stats_count(
    approved, database, client, headers_of, official
):
    dispute = approved.dispute().get_json()
    approved.respond(dispute["id"], accept=True)
    mine = client.get("/api/v1/workers/me/earnings", headers=headers_of(approved.worker))
    rows = mine.get_json()
    assert sorted(row["source"] for row in rows) == ["adjustment", "platform"]
    month = rows[0]["month"]
    records = earnings.month_records(approved.worker.id, *(earnings.Month.parse(month),) * 2)
    assert records[0].income == Decimal("240.00") and records[0].imported == Decimal("0.00")
    assert records[0].hours == Decimal("8.00")
    stats = client.get(
        "/api/v1/stats/monthly", query_string={"city": "wuxi", "month": month}, headers=official
    ).get_json()
    assert (stats["hours"], stats["income_total"]) == ("8.00", "240.00")
    category = stats["by_category"][approved.shift.job.category]
    assert (category["hours"], category["income"]) == ("8.00", "240.00")


def test_accepting_re_checks_what_is_recorded_and_refuses_when_it_changed(approved, database):
    dispute = approved.dispute(kind="pay", claimed_hours=None, claimed_amount="200.00").get_json()
    original = _earnings(database, approved.booking_id)[0]
    earnings.record_adjustment(
        original,
        Decimal("0"),
        Decimal("20.00"),
        city="wuxi",
        actor=database.get(User, approved.employer.user_id),
        audit_data={},
    )
    assert approved.respond(dispute["id"], accept=True).status_code == 409
    assert len(_earnings(database, approved.booking_id)) == 2
    assert database.get(Dispute, dispute["id"]).status == "open"


def test_refusing_escalates_the_dispute_to_a_case_and_both_sides_are_told(approved, database):
    dispute = approved.dispute().get_json()
    answered = approved.respond(dispute["id"], accept=False, detail="当天只工作了6小时").get_json()
    assert answered["status"] == "escalated" and answered["response"] == "当天只工作了6小时"
    case = database.scalar(select(Case).where(Case.dispute_id == dispute["id"]))
    assert case is not None and case.kind == "dispute" and case.status == "open"
    assert "dispute_escalated" in _kinds_told(database, approved.worker.user_id)
    assert "dispute_escalated" in _kinds_told(database, approved.employer.user_id)
    assert _audited(database, "dispute.escalated") == 1
    assert len(_earnings(database, approved.booking_id)) == 1


def test_a_dispute_is_answered_once(approved):
    dispute = approved.dispute().get_json()
    assert approved.respond(dispute["id"], accept=False).status_code == 200
    assert approved.respond(dispute["id"], accept=True).status_code == 409


def test_only_the_shift_s_employer_side_answers(approved, make_employer, headers_of):
    dispute = approved.dispute().get_json()
    assert approved.respond(dispute["id"], True, by=make_employer()).status_code == 404
    assert approved.respond(dispute["id"], True, by=approved.worker).status_code == 403


def test_a_broker_the_employer_delegated_to_answers(approved, make_broker, client, headers_of):
    broker = make_broker()
    delegated = client.post(
        "/api/v1/employers/me/brokers",
        json={"broker_id": broker.id},
        headers=headers_of(approved.employer),
    )
    assert delegated.status_code == 201
    dispute = approved.dispute().get_json()
    assert approved.respond(dispute["id"], True, by=broker).status_code == 200


def test_no_answer_within_three_days_escalates_once(approved, database, scheduled):
    dispute = approved.dispute().get_json()
    opened = approved.approved_at + timedelta(days=1)
    assert scheduled("disputes", opened + timedelta(days=3) - timedelta(minutes=1)) == 0
    assert scheduled("disputes", opened + timedelta(days=3, minutes=1)) == 1
    assert scheduled("disputes", opened + timedelta(days=3, minutes=2)) == 0
    database.expire_all()
    assert database.get(Dispute, dispute["id"]).status == "escalated"
    assert database.scalar(select(func.count()).select_from(Case)) == 1


def test_each_reads_only_the_disputes_it_may_see(
    approved, client, headers_of, make_worker, make_employer, make_user, auth_headers
):
    approved.dispute()
    with at(approved.approved_at + timedelta(days=1)):
        for headers, count in (
            (headers_of(approved.worker), 1),
            (headers_of(approved.employer), 1),
            (auth_headers(make_user("official", city="wuxi")), 1),
            (auth_headers(make_user("official", city="xining")), 0),
            (auth_headers(make_user("admin")), 1),
            (headers_of(make_worker()), 0),
            (headers_of(make_employer()), 0),
        ):
            assert len(client.get("/api/v1/disputes", headers=headers).get_json()) == count


def test_one_dispute_reads_for_its_parties_and_is_404_to_others(
    approved, client, headers_of, make_worker
):
    dispute = approved.dispute().get_json()
    url = f"/api/v1/disputes/{dispute['id']}"
    assert client.get(url, headers=headers_of(approved.employer)).get_json()["id"] == dispute["id"]
    assert client.get(url, headers=headers_of(make_worker())).status_code == 404
