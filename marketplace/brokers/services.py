"""Broker profiles."""

from __future__ import annotations

from typing import Any

from marketplace import clock
from marketplace.auth.models import User
from marketplace.brokers.models import Broker
from marketplace.common.profiles import Profiles
from marketplace.extensions import db

_profiles = Profiles(Broker, "broker", "/api/v1/brokers/me")
profile_of = _profiles.of
my_profile = _profiles.mine
require_profile = _profiles.required


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
