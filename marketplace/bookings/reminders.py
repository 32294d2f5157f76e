"""The shift reminders: a worker is reminded once of a confirmed shift in the next 24 hours."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace import clock
from marketplace.bookings.models import Booking
from marketplace.cities import catalogue
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.notifications.services import notify
from marketplace.workers.models import Worker

REMINDER_AHEAD = timedelta(hours=24)


def send_reminders() -> int:
    """Remind workers of confirmed shifts starting within the next 24 hours (once each)."""
    now = clock.now()
    rows = db.session.execute(
        select(
            Booking.id,
            Booking.shift_id,
            Booking.starts_at,
            Worker.user_id,
            Job.title,
            Job.address,
            Job.city,
        )
        .join(Worker, Worker.id == Booking.worker_id)
        .join(Shift, Shift.id == Booking.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .where(
            Booking.status == "confirmed",
            Booking.starts_at > now,
            Booking.starts_at <= now + REMINDER_AHEAD,
        )
    ).all()
    sent = 0
    for row in rows:
        starts = catalogue.wall_clock(row.starts_at, row.city)
        message = f"提醒：您报名的「{row.title}」将于 {starts} 开始，地点：{row.address}"
        data = {"booking_id": row.id, "shift_id": row.shift_id}
        sent += notify(row.user_id, "shift_reminder", f"booking:{row.id}", message, data)
    return sent
