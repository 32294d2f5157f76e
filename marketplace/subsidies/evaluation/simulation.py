"""A version of a policy run over the real records, writing nothing (API.md v1.1 "Living policies").

``POST …/policies/{id}/versions/{version}/simulate`` answers what the version — a draft, or any
version — would propose on a city's records as of a day, beside what the published version of
the same policy proposes on the same records and day. It reads as an evaluation reads
(``queries.gather``, the rules through ``evaluator.propose``) and stops before the writes: no
flag, notification, audit event or policy version is stored, and the code's files are not
stored as version 1 either (a read stands for them, ``versions.published``).

Only the simulated policy's programmes run: the rules of one policy read the worker's facts and
stored flags, never another policy's proposals, so the other policies of the city change nothing
in its answer. A month is the flag's period end month, and a training flag's the month its
course was completed (as the flag list's ``month`` filter reads them); a district is the
worker's (``""`` when the profile has none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.errors import N_, Conflict, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.evaluation.queries import gather
from marketplace.subsidies.models import PolicyVersion
from marketplace.subsidies.policy import versions
from marketplace.subsidies.policy.catalogue import Policy
from marketplace.subsidies.policy.files import PolicyFileError
from marketplace.subsidies.rules.facts import FlagProposal
from marketplace.workers.models import Worker

EARLIEST = date(2000, 1, 1)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclasses.dataclass
class Total:
    """How many flags, and their amount (exact)."""

    flags: int = 0
    amount: Decimal = ZERO

    def add(self, proposal: FlagProposal) -> None:
        """Count one proposal."""
        self.flags += 1
        if proposal.amount is not None:
            self.amount += proposal.amount

    def as_dict(self) -> dict[str, Any]:
        """``{"flags", "amount"}`` with the amount as a two-place decimal string."""
        return {"flags": self.flags, "amount": str(self.amount.quantize(CENT))}


def month_of(proposal: FlagProposal) -> str:
    """The month a proposal counts in: its period end, or its training's completion month."""
    if proposal.period_end is not None:
        return str(proposal.period_end)
    completed = proposal.evidence.get("completed_on")
    return str(completed)[:7] if completed else ""


def _version(user: User, policy_id: str, version: int) -> Policy:
    """The policy a version's text says; 404 for a missing one or one of another city."""
    rows = list(
        db.session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id == policy_id)
            .order_by(PolicyVersion.version)
        )
    )
    city = rows[0].city if rows else None
    # A code file not stored yet is its policy's version 1 (read, never stored here).
    code = [policy for policy, _ in versions.code_files() if policy.id == policy_id]
    if not rows and code:
        city = code[0].city
    if city is None or (user.role == "official" and user.city != city):
        raise NotFound(N_("policy"))
    target = next((row for row in rows if row.version == version), None)
    if target is None:
        if not rows and code and version == 1:
            return dataclasses.replace(code[0], version=1)
        raise NotFound(N_("policy version"))
    try:
        return versions.version_policy(target)
    except PolicyFileError as error:
        raise Conflict(
            "version %(version)s no longer reads under the current rules: upload it again",
            {"toml": [str(problem.message) for problem in error.problems]},
            version=version,
        ) from None


def a_year_after(day: date) -> date:
    """The same day a year later (a 29 February: the 28th)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _day(city: str, as_of: date | None) -> date:
    """``as_of``, today in the city when None; 422 before 2000 or more than a year ahead."""
    place = catalogue.find(city)
    assert place is not None  # versions hold only known cities
    today = place.today()
    if as_of is None:
        return today
    latest = a_year_after(today)
    if as_of < EARLIEST or as_of > latest:
        raise Invalid(
            N_("as_of is out of range"),
            field_error(
                "json",
                "as_of",
                N_("from %(earliest)s to a year after today in %(city)s (%(latest)s)"),
                earliest=EARLIEST.isoformat(),
                city=place.name,
                latest=latest.isoformat(),
            ),
        )
    return as_of


def _districts(worker_ids: Iterable[int]) -> dict[int, str]:
    """The district of each worker named (``""`` when the profile has none)."""
    wanted = sorted(set(worker_ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), evaluator.CHUNK):
        chunk = wanted[start : start + evaluator.CHUNK]
        for worker_id, district in db.session.execute(
            select(Worker.id, Worker.district).where(Worker.id.in_(chunk))
        ):
            found[worker_id] = district or ""
    return found


def simulate(user: User, policy_id: str, version: int, as_of: date | None) -> dict[str, Any]:
    """What ``version`` of ``policy_id`` proposes on the city's records as of ``as_of``, beside
    what the published version proposes on the same records and day; writes nothing.

    Officials of the policy's city and admins (the route refuses the other roles); an official
    of another city is told the policy does not exist (404).
    """
    policy = _version(user, policy_id, version)
    day = _day(policy.city, as_of)
    place = catalogue.find(policy.city)
    assert place is not None
    current = [p for p in versions.published(policy.city) if p.id == policy_id]
    data = gather(policy.city, place.timezone)
    total, compared = Total(), Total()
    programs: dict[str, Total] = {}
    months: dict[str, Total] = {}
    by_worker: dict[int, list[FlagProposal]] = {}
    for worker_id, proposals in evaluator.propose(data, [policy], day):
        for proposal in proposals:
            total.add(proposal)
            programs.setdefault(proposal.program, Total()).add(proposal)
            months.setdefault(month_of(proposal), Total()).add(proposal)
        if proposals:
            by_worker[worker_id] = proposals
    if current:
        for _, proposals in evaluator.propose(data, current, day):
            for proposal in proposals:
                compared.add(proposal)
    districts: dict[str, Total] = {}
    district_of = _districts(by_worker)
    for worker_id, proposals in by_worker.items():
        for proposal in proposals:
            districts.setdefault(district_of.get(worker_id, ""), Total()).add(proposal)
    return {
        "policy_id": policy_id,
        "version": version,
        "city": policy.city,
        "as_of": day,
        **total.as_dict(),
        "by_program": {code: programs[code].as_dict() for code in sorted(programs)},
        "by_month": {month: months[month].as_dict() for month in sorted(months)},
        "by_district": {name: districts[name].as_dict() for name in sorted(districts)},
        "compared_with_current": {
            **compared.as_dict(),
            "version": current[0].version if current else None,
        },
    }
