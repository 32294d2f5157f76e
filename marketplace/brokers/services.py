"""Broker profiles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace import clock
from marketplace.auth.models import User
from marketplace.brokers.models import Broker
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db


def profile_of(user: User) -> Broker | None:
    """The broker profile of ``user``, if it has one."""
    return db.session.scalar(select(Broker).where(Broker.user_id == user.id))


def my_profile(user: User) -> Broker:
    """The caller's own profile; 404 until the first PUT."""
    broker = profile_of(user)
    if broker is None:
        raise NotFound("broker profile")
    return broker


def require_profile(user: User) -> Broker:
    """The caller's profile, or 409: acting for employers needs a profile first."""
    broker = profile_of(user)
    if broker is None:
        raise Conflict("create your broker profile first (PUT /api/v1/brokers/me)")
    return broker


def put_profile(user: User, data: dict[str, Any]) -> Broker:
    """Create or replace the caller's broker profile."""
    broker = profile_of(user)
    now = clock.now()
    if broker is None:
        broker = Broker(user_id=user.id, created_at=now)
        db.session.add(broker)
    broker.name = data["name"]
    broker.city = data["city"]
    broker.licence_number = data["licence_number"]
    broker.updated_at = now
    db.session.flush()
    return broker
