"""In-app notifications and the shift reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings.models import Booking, Notification
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.workers.models import Worker

REMINDER_AHEAD = timedelta(hours=24)


def notify(user_id: int, kind: str, dedupe_key: str, message: str, data: dict[str, Any]) -> bool:
    """Send one notification; the same (user, kind, key) is sent only once. True if sent."""
    notice = Notification(
        user_id=user_id,
        kind=kind,
        dedupe_key=dedupe_key,
        message=message,
        data=data,
        created_at=clock.now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(notice)
    except IntegrityError:
        return False
    return True


def send_reminders() -> int:
    """Remind workers of confirmed shifts starting within the next 24 hours (once each)."""
    now = clock.now()
    rows = db.session.execute(
        select(
            Booking.id, Booking.shift_id, Booking.starts_at, Worker.user_id, Job.title, Job.address
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
        local = row.starts_at.astimezone(ZoneInfo(clock.DEFAULT_TIMEZONE))
        message = (
            f"提醒：您报名的「{row.title}」将于 {local:%m月%d日 %H:%M} 开始，地点：{row.address}"
        )
        data = {"booking_id": row.id, "shift_id": row.shift_id}
        sent += notify(row.user_id, "shift_reminder", f"booking:{row.id}", message, data)
    return sent


def notifications_of(user: User, unread_only: bool) -> Any:
    """The query of the caller's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read (404 for anyone else's)."""
    notice = db.session.get(Notification, notification_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound("notification")
    if notice.read_at is None:
        notice.read_at = clock.now()
    return notice
