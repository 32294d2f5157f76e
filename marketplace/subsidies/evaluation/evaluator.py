"""The one evaluator: facts in, flags out — idempotent, set-based, and never touching a decision.

Hooks (a worker at once), the nightly job (every city) and officials (a city, on demand) all come
here. For each worker the pure rules propose flags (``rules.evaluate.evaluate_worker``) under the
published version of each policy of the city (``policy.versions``: a draft never proposes);
each proposal gets its risk signals and a fingerprint of everything stored about it, and then:

- no stored flag for its (worker, programme, policy, key): created, event ``flag.created``;
- a pending flag whose fingerprint or policy version differs: updated, event ``flag.updated``
  saying what changed (a newly published version moves every pending flag of its policy);
- a decided flag, or the same fingerprint and version: left alone.

A pending flag the rules no longer propose — on data at least as new as the evaluation that wrote
it — is never deleted; it gets the ``no_longer_proposed`` signal so the official looks before
deciding. Evaluating twice changes nothing the second time. Services flush, never commit.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.cities import catalogue
from marketplace.common import bulk
from marketplace.extensions import db
from marketplace.subsidies import notices
from marketplace.subsidies.evaluation import risk
from marketplace.subsidies.evaluation.queries import Gathered, StoredFlag, gather
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.policy import versions
from marketplace.subsidies.policy.catalogue import Policy
from marketplace.subsidies.rules import evaluate as rules
from marketplace.subsidies.rules.facts import FlagProposal
from marketplace.workers.models import Worker

CONTENT = ("beneficiary", "amount", "period_start", "period_end", "evidence", "explanation")
CHUNK = 5000  # ids per IN list: far below the bound-parameter limits of SQLite and PostgreSQL
FLAGS = cast(Table, SubsidyFlag.__table__)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Outcome:
    """What an evaluation did: workers evaluated, flags created and flags updated."""

    evaluated: int = 0
    created: int = 0
    updated: int = 0

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(
            self.evaluated + other.evaluated,
            self.created + other.created,
            self.updated + other.updated,
        )

    def as_dict(self) -> dict[str, int]:
        """``{"evaluated", "created", "updated"}`` as the API answers it."""
        return {"evaluated": self.evaluated, "created": self.created, "updated": self.updated}


def content_of(proposal: FlagProposal, signals: list[str]) -> dict[str, Any]:
    """What a flag stores about a proposal, JSON-safe: the content its fingerprint covers."""
    return {
        "beneficiary": proposal.beneficiary,
        "amount": None if proposal.amount is None else str(proposal.amount.quantize(CENT)),
        "period_start": None if proposal.period_start is None else str(proposal.period_start),
        "period_end": None if proposal.period_end is None else str(proposal.period_end),
        "evidence": proposal.evidence,
        "explanation": list(proposal.explanation),
        "risk_signals": signals,
    }


def fingerprint(content: dict[str, Any]) -> str:
    """The SHA-256 of a flag's content in canonical JSON."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _stored_content(row: Any) -> dict[str, Any]:
    return {
        "beneficiary": row.beneficiary,
        "amount": None if row.amount is None else str(row.amount),
        "period_start": row.period_start,
        "period_end": row.period_end,
        "evidence": row.evidence,
        "explanation": list(row.explanation),
        "risk_signals": list(row.risk_signals),
    }


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two contents, small enough for an audit event."""
    changes: dict[str, Any] = {}
    for name in ("beneficiary", "amount", "period_start", "period_end", "risk_signals"):
        if old[name] != new[name]:
            changes[name] = {"from": old[name], "to": new[name]}
    if old["evidence"] != new["evidence"]:
        names = sorted(set(old["evidence"]) | set(new["evidence"]))
        changes["evidence"] = {
            name: {"from": old["evidence"].get(name), "to": new["evidence"].get(name)}
            for name in names
            if old["evidence"].get(name) != new["evidence"].get(name)
        }
    if old["explanation"] != new["explanation"]:
        changes["explanation"] = {
            "removed": [line for line in old["explanation"] if line not in new["explanation"]],
            "added": [line for line in new["explanation"] if line not in old["explanation"]],
        }
    return changes


@dataclass
class _Plan:
    """The writes one evaluation decided on."""

    creates: list[dict[str, Any]]
    # flag id → new content, its fingerprint and the policy version that proposes it
    updates: dict[int, tuple[dict[str, Any], str, int]]
    stale: list[int]  # pending flags the rules no longer propose


def propose(
    data: Gathered, policies: Sequence[Policy], as_of: date
) -> Iterator[tuple[int, list[FlagProposal]]]:
    """What the rules propose for each gathered worker under ``policies`` as of ``as_of``.

    Reads nothing more and writes nothing: an evaluation plans its writes from it, a simulation
    of a draft (``evaluation.simulation``) only counts it.
    """
    for worker_id in data.profiles:
        yield worker_id, rules.evaluate_worker(data.facts(worker_id), policies, as_of)


def _plan(data: Gathered, city: str, as_of: date, policies: Sequence[Policy]) -> _Plan:
    # The version of each policy in force: a flag records the one whose proposal it holds.
    version_of = {policy.id: policy.version or 1 for policy in policies}
    now = clock.now()
    plan = _Plan([], {}, [])
    for worker_id, proposals in propose(data, policies, as_of):
        stored: dict[tuple[str, str, str], StoredFlag] = data.flags.get(worker_id, {})
        if not proposals and not stored:
            continue
        facts = data.risk_facts(worker_id)
        proposed = set()
        for proposal in proposals:
            key = (proposal.program, proposal.policy_id, proposal.key)
            proposed.add(key)
            content = content_of(proposal, risk.signals(proposal, facts))
            digest = fingerprint(content)
            flag = stored.get(key)
            if flag is None:
                plan.creates.append(
                    {
                        **content,
                        "amount": proposal.amount,
                        "worker_id": worker_id,
                        "city": city,
                        "policy_id": proposal.policy_id,
                        "program": proposal.program,
                        "key": proposal.key,
                        "status": "pending",
                        "policy_version": version_of[proposal.policy_id],
                        "fingerprint": digest,
                        "evaluated_on": as_of,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            elif flag.status == "pending" and (
                flag.fingerprint != digest or flag.policy_version != version_of[proposal.policy_id]
            ):
                # A pending flag follows the rules: new facts, or a new version of its policy.
                plan.updates[flag.id] = (content, digest, version_of[proposal.policy_id])
        plan.stale.extend(
            flag.id
            for key, flag in stored.items()
            if key not in proposed and flag.status == "pending" and as_of >= flag.evaluated_on
        )
    return plan


def _insert_statement() -> Any:
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(FLAGS)
        .on_conflict_do_nothing(index_elements=["worker_id", "program", "policy_id", "key"])
        .returning(FLAGS.c.id)
    )


def _store(rows: list[dict[str, Any]]) -> set[int]:
    """Insert new flags; answers the ids of those inserted (all, unless another run got first)."""
    for row, flag_id in zip(rows, bulk.allocate_ids(FLAGS, len(rows)), strict=True):
        row["id"] = flag_id
    dialect = db.session.get_bind().dialect
    try:
        with db.session.begin_nested():
            bulk.write_rows(FLAGS, rows)
        return {row["id"] for row in rows}
    except (IntegrityError, dialect.dbapi.IntegrityError):  # type: ignore[union-attr]
        # A concurrent evaluation stored some of the same flags since they were read: the
        # unique key keeps theirs, and ON CONFLICT DO NOTHING inserts only the others.
        return set(db.session.scalars(_insert_statement(), rows))


def _create(plan: _Plan, events: list[audit.Entry], base: dict[str, Any]) -> int:
    if not plan.creates:
        return 0
    inserted = _store(plan.creates)
    notices.flags_created([row for row in plan.creates if row["id"] in inserted])
    for row in plan.creates:
        if row["id"] not in inserted:
            continue
        events.append(
            audit.Entry(
                "flag.created",
                "flag",
                row["id"],
                {
                    **{name: row[name] for name in ("worker_id", "program", "policy_id", "key")},
                    **{name: row[name] for name in ("beneficiary", "period_start", "period_end")},
                    "policy_version": row["policy_version"],
                    "amount": None if row["amount"] is None else str(row["amount"]),
                    "risk_signals": row["risk_signals"],
                    "fingerprint": row["fingerprint"],
                    **base,
                },
                actor_id=base.get("actor_id"),
                city=row["city"],
            )
        )
    return len(inserted)


def _pending_rows(ids: Sequence[int]) -> list[Any]:
    """The pending flags among ``ids``, locked on PostgreSQL against a concurrent decision."""
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows += db.session.execute(
            select(FLAGS)
            .where(FLAGS.c.id.in_(chunk), FLAGS.c.status == "pending")
            .order_by(FLAGS.c.id)
            .with_for_update()
        ).all()
    return rows


def _update(plan: _Plan, as_of: date, events: list[audit.Entry], base: dict[str, Any]) -> int:
    writes: list[dict[str, Any]] = []
    for row in _pending_rows(sorted(set(plan.updates) | set(plan.stale))):
        old = _stored_content(row)
        version = row.policy_version
        if row.id in plan.updates:
            new, digest, version = plan.updates[row.id]
        else:
            if risk.NO_LONGER_PROPOSED in {risk.code_of(s) for s in old["risk_signals"]}:
                continue  # already said so
            new = {**old, "risk_signals": [*old["risk_signals"], risk.no_longer_proposed(as_of)]}
            digest = fingerprint(new)
        changes = _changes(old, new)
        if version != row.policy_version:
            changes["policy_version"] = {"from": row.policy_version, "to": version}
        writes.append(
            {
                "flag_id": row.id,
                **{f"new_{name}": new[name] for name in (*CONTENT, "risk_signals")},
                "new_fingerprint": digest,
                "new_evaluated_on": as_of,
                "new_policy_version": version,
                "new_updated_at": clock.now(),
            }
        )
        events.append(
            audit.Entry(
                "flag.updated",
                "flag",
                row.id,
                {
                    "worker_id": row.worker_id,
                    "changes": changes,
                    "fingerprint": digest,
                    "policy_version": version,
                    **base,
                },
                actor_id=base.get("actor_id"),
                city=row.city,
            )
        )
    if writes:
        statement = (
            update(FLAGS)
            .where(FLAGS.c.id == bindparam("flag_id"), FLAGS.c.status == "pending")
            .values(
                {
                    name: bindparam(f"new_{name}")
                    for name in (
                        *CONTENT,
                        "risk_signals",
                        "fingerprint",
                        "evaluated_on",
                        "policy_version",
                    )
                }
                | {"updated_at": bindparam("new_updated_at")}
            )
        )
        db.session.execute(statement, writes)
    return len(writes)


def _expire_loaded_flags() -> None:
    # The writes above bypass the ORM; a flag already loaded in this session must be re-read.
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, SubsidyFlag):
            db.session.expire(instance)


def evaluate(
    city: str,
    as_of: date,
    worker_ids: Sequence[int] | None = None,
    *,
    actor_id: int | None = None,
    trigger: str = "on_demand",
) -> Outcome:
    """Evaluate ``city``'s workers (all, or those of ``worker_ids``) as of ``as_of``."""
    place = catalogue.find(city)
    if place is None:
        raise ValueError(f"unknown city {city!r}")
    if worker_ids is None:
        with _collector_paused():
            return _evaluate(city, place.timezone, as_of, None, actor_id, trigger)
    return _evaluate(city, place.timezone, as_of, worker_ids, actor_id, trigger)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a whole city is evaluated.

    The evaluation makes millions of small objects and hardly a reference cycle; with the collector
    on, each burst of allocations triggers a pass over the whole, growing heap (a quarter of the
    time of a 100k-worker city). Memory is still freed by reference counting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _evaluate(
    city: str,
    timezone: str,
    as_of: date,
    worker_ids: Sequence[int] | None,
    actor_id: int | None,
    trigger: str,
) -> Outcome:
    # The published version of each policy in force (the code's files stored on first use).
    policies = versions.published(city, seed=True)
    db.session.flush()
    data = gather(city, timezone, worker_ids)
    plan = _plan(data, city, as_of, policies)
    base: dict[str, Any] = {"as_of": as_of.isoformat(), "trigger": trigger}
    if actor_id is not None:
        base["actor_id"] = actor_id
    events: list[audit.Entry] = []
    created = _create(plan, events, base)
    updated = _update(plan, as_of, events, base)
    audit.record_many(events)
    if created or updated:
        _expire_loaded_flags()
    return Outcome(len(data.profiles), created, updated)


def proposals_now(
    worker_id: int, city: str, as_of: date
) -> dict[tuple[str, str, str], FlagProposal]:
    """What the rules propose for one worker as of ``as_of``, by (programme, policy, key).

    Read from the database as this transaction sees it, writing nothing: a decision checks its
    flag against it before it approves.
    """
    place = catalogue.find(city)
    if place is None:
        raise ValueError(f"unknown city {city!r}")
    db.session.flush()
    data = gather(city, place.timezone, [worker_id])
    if worker_id not in data.profiles:
        return {}
    proposals = rules.evaluate_worker(data.facts(worker_id), versions.published(city), as_of)
    return {(p.program, p.policy_id, p.key): p for p in proposals}


def evaluate_workers(
    worker_ids: Iterable[int],
    as_of: date | None = None,
    *,
    actor_id: int | None = None,
    trigger: str = "hook",
) -> Outcome:
    """Evaluate some workers, each city's as of ``as_of`` or else that city's today."""
    wanted = sorted(set(worker_ids))
    by_city: dict[str, list[int]] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = db.session.execute(
            select(Worker.id, Worker.city).where(Worker.id.in_(wanted[start : start + CHUNK]))
        )
        for worker_id, city in rows:
            by_city.setdefault(city, []).append(worker_id)
    outcome = Outcome()
    for city, ids in sorted(by_city.items()):
        place = catalogue.find(city)
        assert place is not None  # profiles hold only known cities
        day = as_of or place.today()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            outcome += evaluate(city, day, chunk, actor_id=actor_id, trigger=trigger)
    return outcome
