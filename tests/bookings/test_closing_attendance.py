"""Attendance that can be closed (contract v1.1 "Everyday use"): no worked shift left unpayable.

A worker who checked in and forgot to check out is checked out at the shift's end by the
scheduled job ``attendance``, 2 hours after it; the employer's side records the attendance of a
forgotten check-in, check-out or a no-show marked by mistake, within 7 days, with a reason; the
worker is told each time, in the city's local time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.bookings.models import Booking
from marketplace.brokers import delegations
from marketplace.earnings.models import Earning
from marketplace.jobs.models import Shift
from marketplace.notifications.models import Notification
from marketplace.scheduler import run_job
from tests.bookings.conftest import SITE, Story, at


def booking_of(story_: Story) -> Booking:
    story_.database.expire_all()
    return story_.database.get(Booking, story_.booking_id)


def told(story_: Story, kind: str) -> list[str]:
    return list(
        story_.database.scalars(
            select(Notification.message).where(
                Notification.user_id == story_.worker.user_id, Notification.kind == kind
            )
        )
    )


def checked_in(story_: Story) -> None:
    story_.book()
    with at(story_.shift.starts_at):
        assert story_.as_worker("check-in", **SITE).status_code == 200


def times(story_: Story, came: int = 0, left: int = 0) -> dict[str, str]:
    """The attendance body: minutes after the start and before the end."""
    shift = story_.shift
    return {
        "checked_in_at": (shift.starts_at + timedelta(minutes=came)).isoformat(),
        "checked_out_at": (shift.ends_at - timedelta(minutes=left)).isoformat(),
        "reason": "劳动者忘记签到签退，现场负责人确认全天在岗",
    }


# --- the scheduled job ----------------------------------------------------------------------


def test_a_forgotten_check_out_is_closed_at_the_shifts_end_two_hours_after_it(story, app):
    checked_in(story)
    with at(story.shift.ends_at + timedelta(minutes=119)):
        assert run_job("attendance").result == 0
    assert booking_of(story).status == "checked_in"
    with at(story.shift.ends_at + timedelta(minutes=121)):
        assert run_job("attendance").result == 1
        assert run_job("attendance").result == 0  # once
    booking = booking_of(story)
    assert booking.status == "checked_out" and booking.checkout_source == "auto"
    assert booking.checked_out_at == story.shift.ends_at
    # 9:00 + 8 h in 无锡: the worker reads 17:00, the city's time, not UTC.
    [message] = told(story, "auto_checkout")
    assert "17:00" in message and "未签退" in message
    with at(story.shift.ends_at + timedelta(hours=3)):
        approved = story.as_employer("approve")
    assert approved.status_code == 200
    assert approved.get_json()["earning"]["amount"] == "240.00"  # 8 h × 30.00


def test_a_workers_own_check_out_says_so(story):
    checked_in(story)
    with at(story.shift.ends_at):
        response = story.as_worker("check-out", **SITE)
    assert response.get_json()["checkout_source"] == "worker"


# --- the employer's side records it ---------------------------------------------------------


def test_a_no_show_marked_by_mistake_is_corrected_and_paid(story, database):
    story.book()
    with at(story.shift.starts_at + timedelta(minutes=31)):
        run_job("no_shows")
    assert booking_of(story).status == "no_show"
    assert database.get(Shift, story.shift.id).booked == 0
    with at(story.shift.ends_at + timedelta(hours=1)):
        response = story.as_employer("attendance", **times(story, came=15, left=0))
        assert response.status_code == 200
        body = response.get_json()
        assert body["status"] == "checked_out" and body["checkout_source"] == "employer"
        assert body["attendance_reason"].startswith("劳动者忘记")
        approved = story.as_employer("approve")
    assert approved.get_json()["approved_hours"] == "7.75"
    database.expire_all()
    assert database.get(Shift, story.shift.id).booked == 1  # its place is held again
    [message] = told(story, "attendance_recorded")
    assert "09:15 签到" in message and "17:00 签退" in message


def test_a_forgotten_check_out_is_recorded_by_the_employer_before_the_job_runs(story):
    checked_in(story)
    with at(story.shift.ends_at + timedelta(minutes=30)):
        response = story.as_employer("attendance", **times(story, left=60))
    assert response.status_code == 200
    assert booking_of(story).checked_out_at == story.shift.ends_at - timedelta(minutes=60)


def test_a_forgotten_check_in_of_a_confirmed_booking_is_recorded(story):
    story.book()
    with at(story.shift.ends_at + timedelta(minutes=5)):
        response = story.as_employer("attendance", **times(story))
    assert response.status_code == 200 and booking_of(story).status == "checked_out"


def test_a_broker_of_the_employer_records_it_too(story, make_broker, database):
    story.book()
    broker = make_broker()
    delegations.delegate(database.get(User, story.employer.user_id), broker.id)
    database.commit()
    with at(story.shift.ends_at + timedelta(minutes=5)):
        response = story.client.post(
            f"/api/v1/bookings/{story.booking_id}/attendance",
            json=times(story),
            headers=story.headers_of(broker),
        )
    assert response.status_code == 200


# --- and what is refused --------------------------------------------------------------------


def test_not_before_the_shift_has_ended(story):
    checked_in(story)
    with at(story.shift.ends_at - timedelta(minutes=1)):
        assert story.as_employer("attendance", **times(story)).status_code == 409
    assert booking_of(story).status == "checked_in"


def test_not_more_than_seven_days_after_it(story):
    checked_in(story)
    with at(story.shift.ends_at + timedelta(days=7, minutes=1)):
        response = story.as_employer("attendance", **times(story))
    assert response.status_code == 409 and "7 days" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("came", "left"),
    [(-31, 0), (0, -121), (120, 480), (300, 300)],
    ids=["in before the window", "out after the margin", "out before in", "in equals out"],
)
def test_times_outside_the_shift_or_in_the_wrong_order_are_422(story, came, left):
    checked_in(story)
    with at(story.shift.ends_at + timedelta(hours=2, minutes=1)):
        body = times(story, came=came, left=left)
        response = story.as_employer("attendance", **body)
    assert response.status_code == 422
    assert booking_of(story).status == "checked_in"


def test_times_in_the_future_are_422(story):
    checked_in(story)
    with at(story.shift.ends_at + timedelta(minutes=10)):
        response = story.as_employer("attendance", **times(story, left=-60))
    assert response.status_code == 422


def test_a_reason_is_required(story):
    checked_in(story)
    body = times(story)
    del body["reason"]
    with at(story.shift.ends_at + timedelta(minutes=5)):
        assert story.as_employer("attendance", **body).status_code == 422
        assert story.as_employer("attendance", **(body | {"reason": ""})).status_code == 422


def test_a_checked_out_or_completed_booking_is_409(story):
    checked_in(story)
    with at(story.shift.ends_at):
        story.as_worker("check-out", **SITE)
        assert story.as_employer("attendance", **times(story)).status_code == 409
        story.as_employer("approve")
        assert story.as_employer("attendance", **times(story)).status_code == 409


def test_the_worker_may_not_and_another_employer_cannot_see_it(story, make_employer, headers_of):
    checked_in(story)
    with at(story.shift.ends_at + timedelta(minutes=5)):
        assert story.as_worker("attendance", **times(story)).status_code == 403
        other = story.client.post(
            f"/api/v1/bookings/{story.booking_id}/attendance",
            json=times(story),
            headers=headers_of(make_employer()),
        )
    assert other.status_code == 404
    assert booking_of(story).status == "checked_in"


def test_a_no_show_whose_place_was_taken_since_asks_for_a_larger_headcount(
    story, make_worker, database
):
    story.book()
    with at(story.shift.starts_at + timedelta(minutes=31)):
        run_job("no_shows")
    database.get(Shift, story.shift.id).booked = database.get(Shift, story.shift.id).headcount
    database.commit()
    with at(story.shift.ends_at + timedelta(minutes=5)):
        response = story.as_employer("attendance", **times(story))
    assert response.status_code == 409
    assert "raise the shift's headcount" in response.get_json()["message"]
    assert booking_of(story).status == "no_show"
    assert database.scalar(select(Earning.id)) is None
