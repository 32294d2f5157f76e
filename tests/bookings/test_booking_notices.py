"""What workers and employers are told as a booking's work is done (contract v1.1
"Notifications for everyone"): the employer of a timesheet to approve, the worker of its
approval, its payment and a no-show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace.notifications.models import Notification
from marketplace.scheduler import run_job
from tests.bookings.conftest import SITE, at


def kinds(database, user_id) -> list[str]:
    return list(
        database.scalars(
            select(Notification.kind)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        )
    )


def test_a_check_out_asks_the_employer_to_approve_and_the_worker_hears_of_approval_and_pay(
    story, database
):
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
    with at(story.shift.ends_at):
        story.as_worker("check-out", **SITE)
        assert kinds(database, story.employer.user_id) == ["timesheet_to_approve"]
        story.as_employer("approve")
        story.as_employer("paid")
    assert kinds(database, story.worker.user_id) == ["booking_approved", "earning_paid"]
    messages = list(
        database.scalars(
            select(Notification.message).where(Notification.user_id == story.worker.user_id)
        )
    )
    assert "8.00 小时" in messages[0] and "240.00 元" in messages[0]


def test_an_automatic_check_out_asks_the_employer_too(story, database, app):
    story.book()
    with at(story.shift.starts_at):
        story.as_worker("check-in", **SITE)
    with at(story.shift.ends_at + timedelta(hours=3)):
        run_job("attendance")
    assert kinds(database, story.employer.user_id) == ["timesheet_to_approve"]


def test_a_worker_is_told_of_a_no_show_and_how_to_set_it_right(story, database, app):
    story.book()
    with at(story.shift.starts_at + timedelta(minutes=31)):
        run_job("no_shows")
    [message] = database.scalars(
        select(Notification.message).where(
            Notification.user_id == story.worker.user_id, Notification.kind == "no_show"
        )
    )
    assert "缺勤" in message and "补录考勤" in message
