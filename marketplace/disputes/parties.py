"""Telling the two parties of a dispute or a case what happened, in Chinese, once per step."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.bookings import tell
from marketplace.bookings.models import Booking
from marketplace.disputes.models import Case, Dispute
from marketplace.extensions import db
from marketplace.notifications.services import notify
from marketplace.workers.models import Worker


def _about(subject: Dispute | Case) -> tuple[str, dict[str, Any]]:
    name = "dispute" if isinstance(subject, Dispute) else "case"
    return f"{name}:{subject.id}", {f"{name}_id": subject.id, "booking_id": subject.booking_id}


def worker_user(subject: Dispute | Case) -> int:
    """The account of the worker the dispute or case is about."""
    user_id = db.session.scalar(select(Worker.user_id).where(Worker.id == subject.worker_id))
    assert user_id is not None
    return user_id


def employer_side_users(subject: Dispute | Case) -> list[int]:
    """The accounts of the booking's employer side (the employer, the broker that posted the
    job, whoever made the offer)."""
    booking = db.session.get(Booking, subject.booking_id)
    assert booking is not None
    return tell.employer_side_users(booking)


def tell_worker(subject: Dispute | Case, kind: str, message: str, step: str = "") -> None:
    """Tell the worker (once per subject, kind and ``step``)."""
    key, data = _about(subject)
    notify(worker_user(subject), kind, f"{key}:{kind}{step}", message, data)


def tell_employer_side(subject: Dispute | Case, kind: str, message: str, step: str = "") -> None:
    """Tell every account of the employer side (once per subject, kind and ``step``)."""
    key, data = _about(subject)
    for user_id in employer_side_users(subject):
        notify(user_id, kind, f"{key}:{kind}{step}", message, data)
