"""Employer profiles (delegations and acting for an employer: ``brokers.delegations``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.auth.models import User
from marketplace.common.profiles import Profiles
from marketplace.employers.models import Employer
from marketplace.errors import Conflict
from marketplace.extensions import db

_profiles = Profiles(Employer, "employer", "/api/v1/employers/me")
profile_of = _profiles.of
my_profile = _profiles.mine
require_profile = _profiles.required


def put_profile(user: User, data: dict[str, Any]) -> Employer:
    """Create or replace the caller's employer profile (credit codes are unique: 409)."""
    employer = profile_of(user)
    holder = db.session.scalar(
        select(Employer.id).where(Employer.credit_code == data["credit_code"])
    )
    if holder is not None and (employer is None or holder != employer.id):
        raise Conflict("this credit code belongs to another employer profile")
    now = clock.now()
    if employer is None:
        employer = Employer(user_id=user.id, created_at=now)
        db.session.add(employer)
    employer.name = data["name"]
    employer.credit_code = data["credit_code"]
    employer.city = data["city"]
    employer.address = data["address"]
    employer.lat = data["location"]["lat"]
    employer.lon = data["location"]["lon"]
    employer.updated_at = now
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("this credit code belongs to another employer profile") from None
    return employer
