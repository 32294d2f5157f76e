"""Employer profiles (delegations and acting for an employer: ``brokers.delegations``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.common.profiles import Profiles
from marketplace.employers.models import Employer
from marketplace.errors import Conflict, Forbidden, NotFound
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
    if employer.credit_code != data["credit_code"]:
        employer.credit_code_verified_at = None  # the registry's check was of the old code
    employer.name = data["name"]
    employer.credit_code = data["credit_code"]
    employer.city = data["city"]
    employer.district = data.get("district")
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


def verify_credit_code(user: User, employer_id: int) -> Employer:
    """An official of the employer's city (or an admin) confirms the credit code is registered.

    Checked against the business registry (国家企业信用信息公示系统) outside the service; the
    check is an audit event, and the employer's public profile says ``credit_code_verified``.
    """
    if user.role not in ("official", "admin"):
        raise Forbidden(
            "only officials of the human resources and social security offices and the "
            "platform's admins may verify a unified social credit code"
        )
    employer = db.session.get(Employer, employer_id)
    if employer is None or (user.role == "official" and user.city != employer.city):
        raise NotFound("employer")
    if employer.credit_code_verified_at is None:
        employer.credit_code_verified_at = clock.now()
        db.session.flush()
        audit.record(
            "employer.credit_code_verified",
            "employer",
            employer.id,
            {"credit_code": employer.credit_code},
            actor_id=user.id,
            city=employer.city,
        )
    return employer
