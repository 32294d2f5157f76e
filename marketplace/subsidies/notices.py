"""Workers are told about their flags: created, approved, rejected, disbursed (contract v1.1).

Each notice is sent once per flag and kind. The flags a whole-city evaluation creates are told in
bulk, in the same transaction, in one statement per chunk: an evaluation of 100k workers creates
tens of thousands of flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite

from marketplace import clock
from marketplace.extensions import db
from marketplace.notifications import services as notifications
from marketplace.notifications.models import Notification
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.rules import programs
from marketplace.workers.models import Worker

NOTIFICATIONS = cast(Table, Notification.__table__)
CHUNK = 5000
BENEFICIARIES = {"platform": "付给平台", "worker": "付给本人"}


def _what(program: str, amount: Any, beneficiary: str) -> str:
    name = programs.names().get(program, program)
    money = "" if amount is None else f"{amount} 元，"
    return f"一项{name}（{money}{BENEFICIARIES.get(beneficiary, beneficiary)}）"


def _data(flag_id: int, program: str, amount: Any) -> dict[str, Any]:
    return {
        "flag_id": flag_id,
        "program": program,
        "amount": None if amount is None else str(amount),
    }


def created_message(program: str, amount: Any, beneficiary: str) -> str:
    """What a worker reads when the rules raise a flag of theirs."""
    return (
        f"根据您的记录，系统按政策规则提出了与您有关的{_what(program, amount, beneficiary)}，"
        "等待经办人员审核；无需您申请（符合即享受）。"
    )


def flags_created(rows: Sequence[dict[str, Any]]) -> None:
    """Tell each worker about the flags just created (rows as the evaluator stored them)."""
    if not rows:
        return
    worker_ids = sorted({row["worker_id"] for row in rows})
    user_of: dict[int, int] = {}
    for start in range(0, len(worker_ids), CHUNK):
        chunk = worker_ids[start : start + CHUNK]
        found = db.session.execute(select(Worker.id, Worker.user_id).where(Worker.id.in_(chunk)))
        user_of.update((worker_id, user_id) for worker_id, user_id in found)
    now = clock.now()
    notices = [
        {
            "user_id": user_of[row["worker_id"]],
            "kind": "flag_created",
            "dedupe_key": f"flag:{row['id']}",
            "message": created_message(row["program"], row["amount"], row["beneficiary"]),
            "data": _data(row["id"], row["program"], row["amount"]),
            "created_at": now,
        }
        for row in rows
        if row["worker_id"] in user_of
    ]
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    for start in range(0, len(notices), CHUNK):
        statement = dialect.insert(NOTIFICATIONS).on_conflict_do_nothing()
        db.session.execute(statement, notices[start : start + CHUNK])


def _tell(flag: SubsidyFlag, kind: str, message: str) -> None:
    user_id = db.session.scalar(select(Worker.user_id).where(Worker.id == flag.worker_id))
    if user_id is not None:
        notifications.notify(
            user_id, kind, f"flag:{flag.id}", message, _data(flag.id, flag.program, flag.amount)
        )


def flag_decided(flag: SubsidyFlag) -> None:
    """Tell the worker that an official approved or rejected a flag of theirs."""
    what = _what(flag.program, flag.amount, flag.beneficiary)
    if flag.status == "approved":
        _tell(flag, "flag_approved", f"与您有关的{what}已经经办人员审核批准。")
    else:
        reason = f"理由：{flag.decision_reason}" if flag.decision_reason else ""
        _tell(flag, "flag_rejected", f"与您有关的{what}未获批准。{reason}")


def flag_disbursed(flag: SubsidyFlag) -> None:
    """Tell the worker that an approved flag of theirs was paid."""
    what = _what(flag.program, flag.amount, flag.beneficiary)
    _tell(flag, "flag_disbursed", f"与您有关的{what}已于 {flag.disbursed_on} 发放。")
