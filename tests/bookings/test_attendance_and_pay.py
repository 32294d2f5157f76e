"""Attendance (check-in window, geofence, check-out, no-shows), pay, wage arrears, ratings."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from marketplace import clock
from marketplace.bookings.models import Booking
from marketplace.common.months import Month
from marketplace.earnings.models import Alert, Earning
from marketplace.jobs.models import Shift
from marketplace.notifications.models import Notification
from marketplace.scheduler import run_job
from tests.bookings.conftest import FAR, NEAR, SITE, Story, at
from tests.conftest import shift_times

CHINA = ZoneInfo("Asia/Shanghai")

# --- check-in -------------------------------------------------------------------------------


def test_check_in_opens_30_minutes_before_the_start(story):
    story.book()
    with at(story.shift.starts_at - timedelta(minutes=31)):
        early = story.as_worker("check-in", **SITE)
        assert early.status_code == 409
    with at(story.shift.starts_at - timedelta(minutes=30)):
        response = story.as_worker("check-in", **SITE)
    assert response.status_code == 200
    assert response.get_json()["status"] == "checked_in"


def test_check_in_closes_at_the_end_of_the_shift(story):
    story.book()
    with at(story.shift.ends_at + timedelta(seconds=1)):
        assert story.as_worker("check-in", **SITE).status_code == 409
    assert story.status() == "confirmed"


def test_check_in_must_be_within_500_metres_and_says_how_far(story):
    story.book()
    with at(story.shift.starts_at):
        far = story.as_worker("check-in", **FAR)
        assert far.status_code == 422
        assert far.get_json()["message"].startswith("you are 801 m from the workplace")
        assert story.status() == "confirmed"
        near = story.as_worker("check-in", **NEAR)
    assert near.status_code == 200
    assert 250 < near.get_json()["check_in_distance_m"] < 350


def test_only_a_confirmed_booking_checks_in_and_only_once(story):
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
        assert story.as_worker("check-in", **SITE).status_code == 409


def test_only_the_worker_checks_in(story):
    story.book()
    with at(story.shift.starts_at):
        assert story.as_employer("check-in", **SITE).status_code == 403


def test_check_out_needs_a_check_in(story):
    story.book()
    with at(story.shift.starts_at):
        assert story.as_worker("check-out", **SITE).status_code == 409
        story.as_worker("check-in", **SITE)
    with at(story.shift.ends_at):
        response = story.as_worker("check-out", **SITE)
    assert response.status_code == 200 and response.get_json()["status"] == "checked_out"


# --- no-shows -------------------------------------------------------------------------------


def test_the_employer_may_record_a_no_show_30_minutes_after_the_start(story, database):
    story.book()
    with at(story.shift.starts_at + timedelta(minutes=29)):
        assert story.as_employer("no-show").status_code == 409
    with at(story.shift.starts_at + timedelta(minutes=30)):
        response = story.as_employer("no-show")
    assert response.status_code == 200 and response.get_json()["status"] == "no_show"
    assert database.scalar(select(Shift.booked).where(Shift.id == story.shift.id)) == 0
    database.refresh(story.worker)
    assert story.worker.reliability == 0.0


def test_a_checked_in_worker_is_no_no_show(story):
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
    with at(story.shift.starts_at + timedelta(hours=1)):
        assert story.as_employer("no-show").status_code == 409


def test_the_scheduler_records_no_shows_by_itself(story, app):
    story.book()
    with at(story.shift.starts_at + timedelta(minutes=20)):
        assert run_job("no_shows").result == 0
    assert story.status() == "confirmed"
    with at(story.shift.starts_at + timedelta(minutes=31)):
        assert run_job("no_shows").result == 1
        assert run_job("no_shows").result == 0
    assert story.status() == "no_show"


# --- pay ------------------------------------------------------------------------------------


def work(story, check_in_late=timedelta(0), leave_early=timedelta(0)):
    story.book()
    with at(story.shift.starts_at + check_in_late):
        story.as_worker("check-in", **SITE)
    with at(story.shift.ends_at - leave_early):
        story.as_worker("check-out", **SITE)


def test_approval_pays_the_checked_in_time_rounded_to_the_quarter_hour(story, database):
    work(story, check_in_late=timedelta(minutes=8), leave_early=timedelta(minutes=59))
    # 8 h − 8 min − 59 min = 6 h 53 min → 7.00 h (nearest quarter hour)
    response = story.as_employer("approve")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "completed" and body["approved_hours"] == "7.00"
    assert body["earning"]["amount"] == "210.00" and body["earning"]["source"] == "platform"
    earning = database.scalar(select(Earning).where(Earning.booking_id == story.booking_id))
    assert earning.amount == Decimal(
        "210.00"
    ) and earning.month == story.shift.starts_at.astimezone().strftime("%Y-%m")


def test_the_default_hours_never_exceed_the_shift(story):
    story.book()
    with at(story.shift.starts_at - timedelta(minutes=30)):
        story.as_worker("check-in", **SITE)
    with at(story.shift.ends_at + timedelta(hours=2)):
        story.as_worker("check-out", **SITE)
    assert story.as_employer("approve").get_json()["approved_hours"] == "8.00"


def test_explicit_hours_are_exact_and_may_not_pass_the_shift(story, database):
    work(story)
    too_many = story.as_employer("approve", hours="8.25")
    assert too_many.status_code == 422
    assert story.status() == "checked_out"
    assert story.as_employer("approve", hours="0").status_code == 422
    assert story.as_employer("approve", hours="7.5").get_json()["earning"]["amount"] == "225.00"
    assert database.scalar(select(func.count()).select_from(Earning)) == 1


def test_approval_needs_a_check_out(story):
    story.book()
    assert story.as_employer("approve").status_code == 409


def test_paid_marks_the_earning_and_only_once(story):
    work(story)
    story.as_employer("approve")
    # v1.1: a payment is recorded once the work has ended (paid_at defaults to now).
    with at(story.shift.ends_at + timedelta(hours=1)):
        paid = story.as_employer("paid")
        assert paid.status_code == 200 and paid.get_json()["paid_at"] is not None
        assert story.as_employer("paid").status_code == 409


def test_a_check_out_days_after_the_shift_is_recorded_at_its_end_and_says_so(story, database):
    """Finding 9: a check-out days after the shift was stored as the end of the work."""
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
    with at(story.shift.ends_at + timedelta(days=3)):
        response = story.as_worker("check-out", **SITE)
    body = response.get_json()
    assert response.status_code == 200 and body["checkout_adjusted"] is True
    assert datetime.fromisoformat(body["checked_out_at"]) == story.shift.ends_at
    assert story.as_employer("approve").get_json()["approved_hours"] == "8.00"


def test_a_check_out_within_two_hours_of_the_end_is_recorded_as_it_is(story):
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
    with at(story.shift.ends_at + timedelta(hours=2)):
        body = story.as_worker("check-out", **SITE).get_json()
    assert body["checkout_adjusted"] is False
    at_two_hours = story.shift.ends_at + timedelta(hours=2)
    assert datetime.fromisoformat(body["checked_out_at"]) == at_two_hours


def test_a_check_out_far_from_the_workplace_tells_the_approver_how_far(story):
    """Finding 9: a check-out 50 km away was stored without a word."""
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
    far_away = {"lat": SITE["lat"] + 0.45, "lon": SITE["lon"]}  # about 50 km north
    with at(story.shift.ends_at):
        assert story.as_worker("check-out", **far_away).status_code == 200
    seen = story.client.get(
        f"/api/v1/bookings/{story.booking_id}", headers=story.headers_of(story.employer)
    ).get_json()
    assert 49_000 < seen["checkout_distance_m"] < 51_000


@pytest.mark.parametrize(
    "when",
    [lambda shift: shift.ends_at - timedelta(hours=1), lambda shift: None],
    ids=["before the work ended", "in the future"],
)
def test_paid_at_before_the_work_ended_or_in_the_future_is_422(story, database, when):
    work(story)
    story.as_employer("approve")
    paid_at = when(story.shift)
    if paid_at is None:
        paid_at = story.shift.ends_at + timedelta(days=365)
    response = story.as_employer("paid", paid_at=paid_at.isoformat())
    assert response.status_code == 422 and "paid_at" in response.get_json()["errors"]["json"]
    assert database.scalar(select(Earning.paid_at)) is None


def test_wage_arrears_15_days_after_the_part_time_work_ended_then_resolved_by_payment(
    story, database, headers_of, client
):
    """v1.1: the clock runs from the end of the work, not from the approval."""
    work(story)
    with at(story.shift.ends_at + timedelta(days=10)):
        story.as_employer("approve")
    ended = story.shift.ends_at
    with at(ended + timedelta(days=15) - timedelta(minutes=1)):
        assert run_job("wage_arrears").result == 0
    with at(ended + timedelta(days=15, minutes=1)):
        assert run_job("wage_arrears").result == 1
        assert run_job("wage_arrears").result == 0
        alerts = client.get("/api/v1/alerts", headers=headers_of(story.worker)).get_json()
        assert [a["type"] for a in alerts] == ["wage_arrears"] and alerts[0]["resolved_at"] is None
        assert story.as_employer("paid").status_code == 200
    assert database.scalar(select(Alert.resolved_at)) is not None
    assert database.scalar(select(Notification.kind).where(Notification.kind == "wage_arrears"))


def test_full_time_wages_are_in_arrears_once_the_following_month_has_ended(
    client, headers_of, database, make_worker, make_job
):
    """v1.1: other types than part-time are paid at least monthly (劳动法 第五十条)."""
    job = make_job(
        employment_type="full_time", shifts=[{**shift_times(days_ahead=2), "headcount": 1}]
    )
    story = Story(client, headers_of, database, make_worker(), job.shifts[0])
    work(story)
    story.as_employer("approve")
    following = Month.of(clock.local_date(story.shift.starts_at)) + 1
    last_day = datetime.combine(following.last_day, time(23, 59), tzinfo=CHINA)
    with at(last_day):
        assert run_job("wage_arrears").result == 0
    with at(last_day + timedelta(minutes=2)):
        assert run_job("wage_arrears").result == 1


def test_alerts_are_visible_to_the_worker_the_employer_and_officials_of_the_city(
    story, client, headers_of, make_user, auth_headers, database
):
    work(story)
    story.as_employer("approve")
    with at(story.shift.ends_at + timedelta(days=16)):
        run_job("wage_arrears")
        for viewer, count in (
            (headers_of(story.worker), 1),
            (headers_of(story.employer), 1),
            (auth_headers(make_user("official", city="wuxi")), 1),
            (auth_headers(make_user("official", city="xining")), 0),
            (auth_headers(make_user("employer")), 0),
        ):
            assert len(client.get("/api/v1/alerts", headers=viewer).get_json()) == count


# --- ratings --------------------------------------------------------------------------------


def test_both_sides_rate_once_after_completion_and_the_workers_rating_follows(story, database):
    work(story)
    assert story.as_worker("ratings", stars=5).status_code == 409  # not completed yet
    story.as_employer("approve")
    assert story.as_worker("ratings", stars=4, comment="老板很好").status_code == 201
    assert story.as_employer("ratings", stars=5).status_code == 201
    assert story.as_employer("ratings", stars=1).status_code == 409
    assert story.as_worker("ratings", stars=6).status_code == 422
    database.refresh(story.worker)
    assert story.worker.rating == Decimal("5.00")
    assert story.worker.reliability == 1.0


def test_reminders_are_sent_once_for_shifts_within_24_hours(story, database):
    story.book()
    with at(story.shift.starts_at - timedelta(hours=25)):
        assert run_job("reminders").result == 0
    with at(story.shift.starts_at - timedelta(hours=23)):
        assert run_job("reminders").result == 1
        assert run_job("reminders").result == 0
    notice = database.scalar(select(Notification).where(Notification.kind == "shift_reminder"))
    assert notice.user_id == story.worker.user_id and "商场保洁" in notice.message


# --- who may not, and the wrong state, for every transition ---------------------------------

WORKER_ACTIONS = {
    "check-in": SITE,
    "check-out": SITE,
    "cancel": {"reason": "x"},
    "decline": {},
    "accept": {},
}
EMPLOYER_ACTIONS = {
    "accept": {},
    "reject": {},
    "no-show": {},
    "approve": {},
    "paid": {},
    "cancel": {"reason": "x"},
}


@pytest.mark.parametrize("action", sorted({*WORKER_ACTIONS, *EMPLOYER_ACTIONS, "ratings"}))
def test_strangers_cannot_act_on_a_booking(
    story, action, make_worker, make_employer, make_user, auth_headers, headers_of, client
):
    story.book()
    body = {**WORKER_ACTIONS, **EMPLOYER_ACTIONS, "ratings": {"stars": 3}}[action]
    path = f"/api/v1/bookings/{story.booking_id}/{action}"
    another_worker = client.post(path, json=body, headers=headers_of(make_worker()))
    another_employer = client.post(path, json=body, headers=headers_of(make_employer()))
    official = client.post(
        path, json=body, headers=auth_headers(make_user("official", city="wuxi"))
    )
    # An action of one side answers the other side's role 403; otherwise strangers get 404.
    either_side = {*WORKER_ACTIONS, "ratings"}
    assert another_worker.status_code == (403 if action not in either_side else 404)
    worker_only = {"check-in", "check-out", "decline"}
    assert another_employer.status_code == (403 if action in worker_only else 404)
    assert official.status_code == 403
    assert story.status() == "confirmed"


@pytest.mark.parametrize(
    ("action", "side"),
    [
        ("accept", "employer"),
        ("reject", "employer"),
        ("check-out", "worker"),
        ("approve", "employer"),
        ("paid", "employer"),
        ("ratings", "worker"),
    ],
)
def test_transitions_from_the_wrong_state_are_409(story, action, side):
    story.book()  # confirmed
    body = {"check-out": SITE, "ratings": {"stars": 4}}.get(action, {})
    response = (
        story.as_worker(action, **body) if side == "worker" else story.as_employer(action, **body)
    )
    assert response.status_code == 409
    assert story.status() == "confirmed"


def test_a_checked_in_booking_can_no_longer_be_cancelled(story):
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
        assert story.as_worker("cancel", reason="太累").status_code == 409
        assert story.as_employer("cancel", reason="不需要了").status_code == 409
    assert story.status() == "checked_in"


def test_the_scheduler_knows_every_job_of_the_api():
    from marketplace.scheduler import JOBS

    assert set(JOBS) == {
        "audit_sequencer",
        "no_shows",
        "attendance",
        "offers",
        "wage_arrears",
        "disputes",
        "reminders",
        "subsidy_evaluation",
        "purge",
        "audit_checkpoint",
    }
    assert JOBS["subsidy_evaluation"].trigger == {"trigger": "cron", "hour": 2, "minute": 0}


def test_the_nightly_subsidy_evaluation_runs_as_a_job(app, database):
    outcome = run_job("subsidy_evaluation")
    assert outcome.ran and set(outcome.result["cities"]) == {"wuxi", "xining"}


# --- the hot path stays lean (the load benchmark's mix) --------------------------------------


def test_check_in_reads_the_workplace_in_one_look_up(story, headers_of, count_queries):
    story.book()
    with at(story.shift.starts_at):
        headers = headers_of(story.worker)
        before = count_queries()
        response = story.client.post(
            f"/api/v1/bookings/{story.booking_id}/check-in", json=NEAR, headers=headers
        )
        statements = count_queries() - before
    assert response.status_code == 200
    # token, the booking with its owner and workplace in one look-up, update, audit (lock on
    # PostgreSQL, tail, insert): not the worker's profile, the shift and the job one by one.
    assert statements <= 6


def test_check_in_audit_event_names_the_shifts_city(story, database):
    from marketplace.audit.models import AuditEvent

    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **NEAR)
    [event] = database.scalars(select(AuditEvent).where(AuditEvent.action == "booking.checked_in"))
    assert event.city == "wuxi" and event.entity_id == str(story.booking_id)
    assert 250 < event.data["distance_m"] < 350


def test_a_booking_is_stamped_when_it_changes_and_not_rewritten_when_made(story, database):
    with at(story.shift.starts_at - timedelta(days=1)):
        story.book()
    database.expire_all()
    booking = database.get(Booking, story.booking_id)
    assert booking.updated_at == booking.created_at
    with at(story.shift.starts_at):
        story.as_worker("check-in", **NEAR)
    database.expire_all()
    booking = database.get(Booking, story.booking_id)
    assert booking.updated_at == story.shift.starts_at
    assert booking.updated_at > booking.created_at
