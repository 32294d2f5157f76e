"""Delegations: an employer lets a broker act for it; who may act for which employer.

They live with the brokers, which come after the employers in the order packages import in:
a delegation needs both, and the employers need neither the brokers nor their delegations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.brokers import services as brokers
from marketplace.brokers.models import Broker, Delegation
from marketplace.employers.models import Employer
from marketplace.employers.services import profile_of, require_profile
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from marketplace.extensions import db


def _live_delegation(employer_id: int, broker_id: int) -> Delegation | None:
    return db.session.scalar(
        select(Delegation).where(
            Delegation.employer_id == employer_id,
            Delegation.broker_id == broker_id,
            Delegation.revoked_at.is_(None),
        )
    )


def delegate(user: User, broker_id: int) -> Delegation:
    """Let a broker act for the caller's company (409 when it already may)."""
    employer = require_profile(user)
    if db.session.get(Broker, broker_id) is None:
        raise Invalid("no such broker", field_error("json", "broker_id", "no broker has this id"))
    if _live_delegation(employer.id, broker_id) is not None:
        raise Conflict("this broker already acts for you")
    delegation = Delegation(employer_id=employer.id, broker_id=broker_id, created_at=clock.now())
    try:
        with db.session.begin_nested():
            db.session.add(delegation)
    except IntegrityError:
        raise Conflict("this broker already acts for you") from None
    audit.record(
        "delegation.granted",
        "delegation",
        delegation.id,
        {"employer_id": employer.id, "broker_id": broker_id},
        actor_id=user.id,
        city=employer.city,
    )
    return delegation


def revoke_delegation(user: User, broker_id: int) -> None:
    """End a broker's delegation at once (404 when it has none)."""
    employer = require_profile(user)
    delegation = _live_delegation(employer.id, broker_id)
    if delegation is None:
        raise NotFound("delegation")
    delegation.revoked_at = clock.now()
    db.session.flush()
    audit.record(
        "delegation.revoked",
        "delegation",
        delegation.id,
        {"employer_id": employer.id, "broker_id": broker_id},
        actor_id=user.id,
        city=employer.city,
    )


def end_delegations_of(user: User) -> int:
    """End every live delegation an employer gave or a broker holds (its account closes)."""
    employer = profile_of(user) if user.role == "employer" else None
    broker = brokers.profile_of(user) if user.role == "broker" else None
    if employer is None and broker is None:
        return 0
    query = select(Delegation).where(Delegation.revoked_at.is_(None))
    if employer is not None:
        query = query.where(Delegation.employer_id == employer.id)
    else:
        assert broker is not None
        query = query.where(Delegation.broker_id == broker.id)
    live = list(db.session.scalars(query))
    for delegation in live:
        delegation.revoked_at = clock.now()
        db.session.flush()
        audit.record(
            "delegation.revoked",
            "delegation",
            delegation.id,
            {
                "employer_id": delegation.employer_id,
                "broker_id": delegation.broker_id,
                "reason": "account closed",
            },
            actor_id=user.id,
        )
    return len(live)


def my_brokers(user: User) -> list[Delegation]:
    """The caller's live delegations."""
    employer = require_profile(user)
    return list(
        db.session.scalars(
            select(Delegation)
            .where(Delegation.employer_id == employer.id, Delegation.revoked_at.is_(None))
            .order_by(Delegation.id)
        )
    )


def employers_of_broker(user: User) -> list[Employer]:
    """The employers the calling broker may act for now."""
    broker = brokers.require_profile(user)
    return list(
        db.session.scalars(
            select(Employer)
            .join(Delegation, Delegation.employer_id == Employer.id)
            .where(Delegation.broker_id == broker.id, Delegation.revoked_at.is_(None))
            .order_by(Employer.id)
        )
    )


@dataclass(frozen=True)
class Acting:
    """Who is acting for which employer: the employer itself, or a broker it delegated to."""

    user: User
    employer: Employer
    broker: Broker | None

    @property
    def audit_data(self) -> dict[str, Any]:
        """Both ids, as every broker action is recorded."""
        return {"employer_id": self.employer.id, "broker_id": self.broker and self.broker.id}


def acting_for(user: User, employer_id: int | None, location: str = "json") -> Acting:
    """Check that ``user`` may act for ``employer_id`` (an employer: only for itself).

    A broker must name the employer (``employer_id`` in the request's ``location``) and hold a
    live delegation from it (403 otherwise).
    """
    if user.role == "employer":
        employer = require_profile(user)
        if employer_id is not None and employer_id != employer.id:
            raise Forbidden("an employer acts only for itself")
        return Acting(user, employer, None)
    if user.role == "broker":
        broker = brokers.require_profile(user)
        if employer_id is None:
            raise Invalid(
                "a broker must name the employer it acts for",
                field_error(location, "employer_id", "required for brokers"),
            )
        delegating = db.session.get(Employer, employer_id)
        if delegating is None or _live_delegation(employer_id, broker.id) is None:
            raise Forbidden("this employer has not delegated to you")
        return Acting(user, delegating, broker)
    raise Forbidden("only employers and their brokers act for employers")


def may_act_for(user: User, employer_id: int) -> Acting | None:
    """Like ``acting_for`` but answers None instead of raising (for object-level checks)."""
    if user.role == "employer":
        employer = profile_of(user)
        return Acting(user, employer, None) if employer and employer.id == employer_id else None
    if user.role == "broker":
        broker = brokers.profile_of(user)
        employer = db.session.get(Employer, employer_id)
        if broker and employer and _live_delegation(employer_id, broker.id):
            return Acting(user, employer, broker)
    return None
