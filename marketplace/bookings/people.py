"""Who a worker is to the employer's side (contract v1.1 "Who is on the other side"): what an
employer sees of the workers it is offered as candidates, or finds on a shift's waitlist.

A display name (the surname and ``*``: 王*), the worker's skills, rating, reliability and the
shifts it completed; the full name only once the worker has a booking with that employer it
said yes to (applied for, or accepted). Never where the worker lives. One query per kind of
fact for a whole page.

It lives with the bookings, not with matching: the waitlists (bookings) show workers the way
the candidates (matching) do, and packages import only those below them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, or_, select

from marketplace.auth.models import User
from marketplace.bookings.models import Booking
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.workers.models import Worker, WorkerSkill

# Two-character surnames (复姓) that the display name keeps whole.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "澹台",
        "太史",
        "申屠",
        "闻人",
        "濮阳",
        "单于",
        "钟离",
        "宗政",
        "第五",
        "万俟",
        "司空",
    ]
)


def display_name(name: str) -> str:
    """The surname and ``*``: 王小明 → 王*, 欧阳娜娜 → 欧阳*."""
    if not name:
        return "*"
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
    return f"{surname}*"


def about(worker_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """Each worker's display name, full name, skills, rating, reliability and completed shifts."""
    ids = sorted(set(worker_ids))
    if not ids:
        return {}
    completed = (
        select(func.count())
        .where(Booking.worker_id == Worker.id, Booking.status == "completed")
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Worker.id, Worker.name, Worker.rating, Worker.reliability, completed.label("completed")
        ).where(Worker.id.in_(ids))
    ).all()
    skills: dict[int, list[str]] = defaultdict(list)
    for worker_id, skill in db.session.execute(
        select(WorkerSkill.worker_id, WorkerSkill.skill)
        .where(WorkerSkill.worker_id.in_(ids))
        .order_by(WorkerSkill.worker_id, WorkerSkill.skill)
    ):
        skills[worker_id].append(skill)
    return {
        row.id: {
            "display_name": display_name(row.name or ""),
            "name": row.name,
            "skills": skills[row.id],
            "rating": float(row.rating) if row.rating is not None else None,
            "reliability": row.reliability,
            "completed_shifts": row.completed,
        }
        for row in rows
    }


def known_pairs(pairs: Collection[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (worker, employer) pairs among ``pairs`` with a booking the worker said yes to:
    one the worker applied for (pending) or that was confirmed at some point."""
    if not pairs:
        return set()
    workers = {worker for worker, _ in pairs}
    employers = {employer for _, employer in pairs}
    found = db.session.execute(
        select(Booking.worker_id, Booking.employer_id)
        .where(
            Booking.worker_id.in_(workers),
            Booking.employer_id.in_(employers),
            or_(Booking.confirmed_at.is_not(None), Booking.status == "pending"),
        )
        .distinct()
    ).all()
    return {(row.worker_id, row.employer_id) for row in found} & set(pairs)


def person(facts: dict[str, Any], name_known: bool) -> dict[str, Any]:
    """What the caller sees of one worker: the full name only if it is known to them."""
    return {**facts, "name": facts["name"] if name_known else None}


def as_seen_by(user: User, pairs: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Who each (worker, shift) pair's worker is, as ``user`` may see it: the full name only for
    the shift's employer side, once the worker has a booking with that employer."""
    facts = about([worker for worker, _ in pairs])
    # Each distinct shift once: the caller's shift objects may be gone from the session (it
    # holds them weakly), and a page of one shift's candidates must not read it per candidate.
    employer_of = {shift: jobs.get_shift(shift).job.employer_id for shift in {s for _, s in pairs}}
    wanted = {(worker, employer_of[shift]) for worker, shift in pairs}
    known = known_pairs(wanted) if user.role in ("employer", "broker") else set()
    return [person(facts[worker], (worker, employer_of[shift]) in known) for worker, shift in pairs]
