"""Sending a notification once, listing a user's notifications, marking one read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.notifications.models import Notification


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


def notifications_of(user: Any, unread_only: bool) -> Any:
    """The query of the caller's notifications: unread first, then newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    unread_first = case((Notification.read_at.is_(None), 0), else_=1)
    return query.order_by(unread_first, Notification.created_at.desc(), Notification.id.desc())


def mark_many_read(user: Any, ids: list[int]) -> list[Notification]:
    """Mark those of ``ids`` that are the caller's notifications read; returns them (those
    already read keep their time). Ids of other users' notifications are passed over as if
    they did not exist."""
    now = clock.now()
    found = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.id.in_(ids), Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )
    for notice in found:
        if notice.read_at is None:
            notice.read_at = now
    return found


def mark_read(user: Any, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read (404 for anyone else's)."""
    notice = db.session.get(Notification, notification_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound("notification")
    if notice.read_at is None:
        notice.read_at = clock.now()
    return notice
