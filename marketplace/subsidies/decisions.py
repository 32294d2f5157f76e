"""Decisions that hold: an approval re-checks its flag against the rules in the same transaction.

Contract v1.1, "Decisions that hold": approving first asks the rules again, as of the decision's
day in the flag's city, on the records as this transaction sees them, and refuses (409, nothing
approved) when the rules no longer propose the flag, propose another amount, when a group
status under it is only declared, or when approving would take the worker's approved total
under a capped programme past its cap. The worker's flags are locked first, so two decisions
on one worker's flags are taken one after the other and the second sees the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from marketplace.common.months import Month
from marketplace.database import stored_integer
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.i18n import N_, translate
from marketplace.subsidies.evaluation import evaluator, risk
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.policy import versions
from marketplace.subsidies.rules.facts import FlagProposal
from marketplace.workers.group_statuses import LABELS
from marketplace.workers.models import GroupStatus

# The parameter a capped programme's total per worker and policy may not pass (training).
CAP_PARAMETER = "cap_per_worker"


def lock_workers_flags(worker_id: int) -> None:
    """Lock every flag of the worker until the transaction ends (PostgreSQL; SQLite's writing
    transaction holds its lock already), in id order so that two lockers never deadlock."""
    db.session.execute(
        select(SubsidyFlag.id)
        .where(SubsidyFlag.worker_id == worker_id)
        .order_by(SubsidyFlag.id)
        .with_for_update()
    )


def _proposed(proposal: FlagProposal) -> dict[str, Any]:
    return {
        "amount": str(proposal.amount),
        "period_start": str(proposal.period_start) if proposal.period_start else None,
        "period_end": str(proposal.period_end) if proposal.period_end else None,
    }


def check_still_due(flag: SubsidyFlag, as_of: date) -> None:
    """Refuse to approve ``flag`` unless it stays within its programme's cap and the rules
    propose it now, for the same amount; the 409 says which, and what the rules propose now.

    The cap is checked first, against the approved flags as they stand: the rules count them
    too (a flag they would cut is no longer proposed), but the official is told the reason.
    A flag resting on a status the worker only declared waits for the status's verification.
    """
    _check_verified(flag)
    _check_cap(flag, as_of)
    now = evaluator.proposals_now(flag.worker_id, flag.city, as_of)
    proposal = now.get((flag.program, flag.policy_id, flag.key))
    if proposal is None:
        raise Conflict(
            "on the records as of %(as_of)s the rules no longer propose this flag, so it cannot "
            "be approved: reject it, or evaluate again once the records are corrected",
            {"proposed_now": None},
            as_of=as_of.isoformat(),
        )
    if proposal.amount != flag.amount:
        raise Conflict(
            "on the records as of %(as_of)s this flag's amount should be %(amount)s yuan (the "
            "flag says %(flagged)s yuan), so it cannot be approved for its amount: evaluate "
            "again, then decide",
            {"proposed_now": _proposed(proposal)},
            as_of=as_of.isoformat(),
            amount=proposal.amount,
            flagged=flag.amount,
        )


def _check_verified(flag: SubsidyFlag) -> None:
    groups = risk.groups_of(flag.evidence)
    if not groups:
        return
    declared = db.session.scalars(
        select(GroupStatus)
        .where(
            GroupStatus.worker_id == flag.worker_id,
            GroupStatus.group.in_(groups),
            GroupStatus.status == "declared",
        )
        .order_by(GroupStatus.id)
    ).all()
    if declared:
        raise StatusesNotVerified(declared)


# A status named in a message, and the separator of a list of them (", " in English).
_STATUS = N_("%(group)s (%(since)s)")
_LIST_SEPARATOR = N_(", ")


def _english(message: str, params: dict[str, Any] | None = None) -> str:
    """``message`` (a msgid) as it is written, its parameters filled in."""
    return message % params if params else message


class StatusesNotVerified(Conflict):
    """409: the flag rests on statuses the worker only declared; each is named in the reader's
    language (its group's name and its start), and listed in ``errors["unverified"]``."""

    def __init__(self, declared: Sequence[GroupStatus]) -> None:
        self.declared = [(s.group, s.started_on.isoformat()) for s in declared]
        unverified = [
            {"id": s.id, "group": s.group, "started_on": s.started_on.isoformat()} for s in declared
        ]
        super().__init__(
            N_(
                "the group statuses this flag rests on, %(statuses)s, were only declared by the "
                "worker and are not verified, so it cannot be approved: verify them first"
            ),
            {"unverified": unverified},
            statuses=self._named(_english),
        )

    def _named(self, translated: Callable[..., str]) -> str:
        return translated(_LIST_SEPARATOR).join(
            translated(_STATUS, {"group": translated(LABELS[group]), "since": since})
            for group, since in self.declared
        )

    def translated(self) -> str:
        """The message with the statuses named in the reader's language."""
        return translate(self.template, {"statuses": self._named(translate)})


def _cap(flag: SubsidyFlag, as_of: date) -> Decimal | None:
    # The cap of the version in force: the one the rules propose the flag under now.
    policy = versions.published_policy(flag.policy_id)
    program = policy.program(flag.program) if policy else None
    if program is None or not any(p.name == CAP_PARAMETER for p in program.parameters):
        return None
    # The cap in force when the flag's period ended (a training's completion), else today's.
    day = Month.parse(flag.period_end).last_day if flag.period_end else as_of
    try:
        return program.money(CAP_PARAMETER, day)
    except LookupError:
        return program.money(CAP_PARAMETER, as_of)


def _check_cap(flag: SubsidyFlag, as_of: date) -> None:
    cap = _cap(flag, as_of)
    if cap is None or flag.amount is None:
        return
    fen = db.session.scalar(
        select(func.coalesce(func.sum(stored_integer(SubsidyFlag.amount)), 0)).where(
            SubsidyFlag.worker_id == flag.worker_id,
            SubsidyFlag.program == flag.program,
            SubsidyFlag.policy_id == flag.policy_id,
            SubsidyFlag.status == "approved",
            SubsidyFlag.id != flag.id,
        )
    )
    already = Decimal(fen or 0).scaleb(-2).quantize(Decimal("0.01"))
    if already + flag.amount > cap:
        raise Conflict(
            "approving it would take the worker's approved total under this policy to "
            "%(total)s yuan, over the cap of %(cap)s yuan (%(approved)s yuan approved), so it "
            "cannot be approved",
            {"cap": str(cap), "approved": str(already)},
            total=already + flag.amount,
            cap=cap,
            approved=already,
        )
