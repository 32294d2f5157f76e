"""Policies served, evaluations on demand, flags listed and decided — who may do what.

Officials belong to one city: they evaluate, list, export and decide that city's flags only (another
city's flag is 404 to them, another city's evaluation or list 403). Admins run the platform that
receives the platform-paid subsidies: they see every city and may evaluate, but never decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, Text, and_, cast, or_, select

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.common import guards
from marketplace.database import count_rows
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.subsidies import decisions, export, notices
from marketplace.subsidies.evaluation import evaluator, risk
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.policy import versions
from marketplace.subsidies.policy.catalogue import to_api
from marketplace.workers.services import my_profile

FILTERS = ("program", "status", "worker_id", "policy_id")


def _concerns_month(month: str) -> Any:
    """Flags whose period covers ``month``; a training flag, by its course's completion month."""
    completed_on = SubsidyFlag.evidence["completed_on"].as_string()
    return or_(
        and_(SubsidyFlag.period_start <= month, SubsidyFlag.period_end >= month),
        and_(SubsidyFlag.period_start.is_(None), completed_on.startswith(month)),
    )


def _has_risk_signal(code: str) -> Any:
    """Flags carrying the risk signal ``code`` (``none``: flags without any signal)."""
    # The signals are a JSON list of "<code>: <说明>" strings: matched in the stored JSON text,
    # which the same serializer writes on both databases (json.dumps, Chinese as is).
    signals = cast(SubsidyFlag.risk_signals, Text)
    if code == risk.NO_RISK:
        return signals == "[]"
    return signals.contains(f'"{code}:', autoescape=True)


def policies() -> list[dict[str, Any]]:
    """Every policy as data: the published version of each (code files stored on first use)."""
    return [{**to_api(policy), "status": "published"} for policy in versions.published(seed=True)]


def _check_city(user: User, city: str) -> None:
    if user.role == "official" and user.city != city:
        raise Forbidden("officials act for their own city only")


def evaluate_city(user: User, city: str, as_of: date | None) -> evaluator.Outcome:
    """Evaluate every worker of ``city`` as of ``as_of`` (today there when None)."""
    _check_city(user, city)
    place = catalogue.find(city)
    assert place is not None  # the schema allows only known cities
    today = place.today()
    if as_of is not None and as_of > today:
        raise Invalid(
            "as_of may not be in the future",
            field_error(
                "json",
                "as_of",
                "after today in %(city)s (%(today)s)",
                city=place.name,
                today=today.isoformat(),
            ),
        )
    return evaluator.evaluate(city, as_of or today, actor_id=user.id, trigger="on_demand")


def flag_query(user: User, filters: dict[str, Any]) -> Select[Any]:
    """The flags ``user`` (official or admin) may see, filtered, oldest first."""
    conditions = [
        getattr(SubsidyFlag, name) == filters[name] for name in FILTERS if name in filters
    ]
    if "month" in filters:
        conditions.append(_concerns_month(filters["month"]))
    if "risk_signal" in filters:
        conditions.append(_has_risk_signal(filters["risk_signal"]))
    city = filters.get("city")
    if user.role == "official":
        _check_city(user, city or user.city or "")
        city = user.city
    if city is not None:
        conditions.append(SubsidyFlag.city == city)
    return select(SubsidyFlag).where(*conditions).order_by(SubsidyFlag.id)


def visible_flag(user: User, flag_id: int) -> SubsidyFlag:
    """One flag ``user`` (official or admin) may see; another city's flag is not found."""
    flag = db.session.scalar(flag_query(user, {}).where(SubsidyFlag.id == flag_id))
    if flag is None:
        raise NotFound("flag")
    return flag


def _page(query: Select[Any], offset: int, limit: int) -> tuple[int, Sequence[SubsidyFlag]]:
    rows = db.session.scalars(query.offset(offset).limit(limit)).all()
    return count_rows(query), rows


def list_flags(
    user: User, filters: dict[str, Any], offset: int, limit: int
) -> tuple[int, Sequence[SubsidyFlag]]:
    """A page of the flags ``user`` may see, and how many there are."""
    return _page(flag_query(user, filters), offset, limit)


def my_flags(user: User, offset: int, limit: int) -> tuple[int, Sequence[SubsidyFlag]]:
    """A page of the calling worker's own flags."""
    worker = my_profile(user)
    query = select(SubsidyFlag).where(SubsidyFlag.worker_id == worker.id).order_by(SubsidyFlag.id)
    return _page(query, offset, limit)


def decide(user: User, flag_id: int, decision: str, reason: str | None) -> SubsidyFlag:
    """Approve or reject a pending flag: an official of the flag's city only, once."""
    flag = db.session.get(SubsidyFlag, flag_id)
    guards.official_of_city(
        user,
        flag.city if flag else None,
        N_(
            "only an official of the flag's city may decide on it; the platform's admins act "
            "for the platform that receives the subsidies and may not"
        ),
        N_("flag"),
    )
    assert flag is not None
    # Locked on PostgreSQL, with every other flag of the worker, then read again: a decision
    # and a concurrent evaluation's update never interleave, and two decisions on one worker
    # take turns, the second seeing the first.
    decisions.lock_workers_flags(flag.worker_id)
    db.session.refresh(flag)
    reason = reason.strip() if reason else None
    if decision == "reject" and not reason:
        raise Invalid("a rejection needs a reason", field_error("json", "reason", "required"))
    if flag.status != "pending":
        if flag.status == "approved":
            raise Conflict("the flag is already approved")
        raise Conflict("the flag is already rejected")
    if decision == "approve":
        decisions.check_still_due(flag, catalogue.today_in(flag.city))
    flag.status = "approved" if decision == "approve" else "rejected"
    flag.decided_at = clock.now()
    flag.decided_by = user.id
    flag.decision_reason = reason
    db.session.flush()
    audit.record(
        f"flag.{flag.status}",
        "flag",
        flag.id,
        {
            "worker_id": flag.worker_id,
            "program": flag.program,
            "policy_id": flag.policy_id,
            "key": flag.key,
            "amount": None if flag.amount is None else str(flag.amount),
            "reason": reason,
            "fingerprint": flag.fingerprint,
        },
        actor_id=user.id,
        city=flag.city,
    )
    notices.flag_decided(flag)
    # A decision is a fact the rules read (a rejected training flag frees its share of the cap):
    # the worker is evaluated again at once, as for any other change of their facts.
    evaluator.evaluate_workers([flag.worker_id], actor_id=user.id, trigger="decision")
    return flag


def export_flags(user: User, filters: dict[str, Any], file_format: str) -> export.ExportFile:
    """The flags ``user`` may see, filtered, as a CSV or Excel file; the download is audited."""
    query = flag_query(user, filters)  # refuses another city's official before anything
    city = user.city if user.role == "official" else filters.get("city")
    exported = export.export(query, file_format, city or "all")
    audit.record_export(
        "subsidy_flags", file_format, filters, exported.rows, actor_id=user.id, city=city
    )
    return exported
