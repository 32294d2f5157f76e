"""Decisions that hold: an approval re-checks its flag against the rules in the same transaction.

Contract v1.1, "Decisions that hold": approving first asks the rules again, as of the decision's
day in the flag's city, on the records as this transaction sees them, and refuses (409, nothing
approved) when the rules no longer propose the flag, propose another amount, when a group
status under it is only declared, or when approving would take the worker's approved total
under a capped programme past its cap. The worker's flags are locked first, so two decisions
on one worker's flags are taken one after the other and the second sees the first.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from marketplace.common.months import Month
from marketplace.database import stored_integer
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.subsidies.evaluation import evaluator, risk
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.policy.catalogue import policy as policy_of
from marketplace.subsidies.rules.facts import FlagProposal
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
            f"按 {as_of} 的记录，规则已不再得出此标记，不能批准；请驳回，或待记录更正后重新评估",
            {"proposed_now": None},
        )
    if proposal.amount != flag.amount:
        raise Conflict(
            f"按 {as_of} 的记录，此标记的金额应为 {proposal.amount} 元"
            f"（标记上为 {flag.amount} 元），不能按原金额批准；请重新评估后再决定",
            {"proposed_now": _proposed(proposal)},
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
        named = "、".join(f"{risk.GROUP_NAMES[s.group]}（{s.started_on}）" for s in declared)
        raise Conflict(
            f"此标记所依据的群体状态 {named} 仅为本人申报，尚未核验，不能批准；请先核验",
            {
                "unverified": [
                    {"id": s.id, "group": s.group, "started_on": s.started_on.isoformat()}
                    for s in declared
                ]
            },
        )


def _cap(flag: SubsidyFlag, as_of: date) -> Decimal | None:
    program = policy_of(flag.policy_id).program(flag.program)
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
            f"批准后此人在本政策下的已批准总额将为 {already + flag.amount} 元，超过上限 {cap} 元"
            f"（已批准 {already} 元），不能批准",
            {"cap": str(cap), "approved": str(already)},
        )
