"""Appending to the audit log and checking its chain.

Each event's ``hash`` is the SHA-256 of its canonical JSON (every field but the hash itself,
including ``prev_hash``), so altering, removing or reordering a stored event breaks the chain
from that event on. Appends are serialised — a transaction-scoped advisory lock on PostgreSQL,
the write lock that ``BEGIN IMMEDIATE`` takes on SQLite — and ``seq`` is the primary key, so
two writers can never both extend the same tail: the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, text

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.common import bulk
from marketplace.database import execute_core
from marketplace.extensions import db

GENESIS_HASH = "0" * 64
# Any constant key works: only the audit log takes this advisory lock.
_CHAIN_LOCK_KEY = 0x617564697400  # "audit"


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """Decimals, dates and the like as strings, exactly as they will be read back."""
    return json.loads(json.dumps(data, default=str, ensure_ascii=False))


def canonical_content(event: Any) -> bytes:
    """The bytes an event's hash covers."""
    content = {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "city": event.city,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: Any) -> str:
    """The SHA-256 of an event's canonical content (an ``AuditEvent`` or a row of its table)."""
    return hashlib.sha256(canonical_content(event)).hexdigest()


# The chain's last event (built once: every booking change appends one).
_TAIL = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_COLUMNS = tuple(column.key for column in AuditEvent.__table__.columns)


def _lock_chain() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        execute_core(_LOCK, {"key": _CHAIN_LOCK_KEY})


def record(
    action: str,
    entity: str,
    entity_id: int | str,
    data: dict[str, Any] | None = None,
    *,
    actor_id: int | None = None,
    city: str | None = None,
) -> AuditEvent:
    """Append one event (``action`` is ``<entity>.<verb>``) to the chain, in this transaction."""
    _lock_chain()
    tail = execute_core(_TAIL).first()
    event = AuditEvent(
        seq=(tail.seq + 1) if tail else 1,
        at=clock.now(),
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        city=city,
        data=_json_safe(data or {}),
        prev_hash=tail.hash if tail else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    # Written as a plain row: the event is never changed, and the session's unit of work cost
    # more than the insert. The object answered is not tracked by the session.
    execute_core(insert(AuditEvent), {name: getattr(event, name) for name in _COLUMNS})
    return event


EXPORT_DOWNLOADED = "export.downloaded"


def record_export(
    what: str,
    file_format: str,
    filters: dict[str, Any],
    rows: int,
    *,
    actor_id: int,
    city: str | None,
) -> None:
    """Audit an export of personal data: who took which (``what``), of which city, how, rows.

    The event (``export.downloaded``, entity ``export``, id ``what``) joins the request's
    transaction: an export whose request fails leaves no event, and no event is ever missing
    for data that was sent. ``city`` is the city the export covers (None: every city, which
    only admins see, or a person's own data).
    """
    record(
        EXPORT_DOWNLOADED,
        "export",
        what,
        {"export": what, "format": file_format, "filters": filters, "rows": rows},
        actor_id=actor_id,
        city=city,
    )


@dataclass(frozen=True)
class Entry:
    """One event to append with ``record_many``: the arguments of ``record``."""

    action: str
    entity: str
    entity_id: int | str
    data: dict[str, Any]
    actor_id: int | None = None
    city: str | None = None


def record_many(entries: Sequence[Entry]) -> int:
    """Append ``entries`` in order, as ``record`` would one by one; answers how many.

    One lock, one read of the tail and one bulk write: an evaluation that raises tens of
    thousands of flags writes their events in seconds instead of a round trip per event.
    """
    if not entries:
        return 0
    _lock_chain()
    tail = execute_core(_TAIL).first()
    seq, prev_hash = (tail.seq, tail.hash) if tail else (0, GENESIS_HASH)
    at = clock.now()
    rows = []
    for entry in entries:
        seq += 1
        event = SimpleNamespace(
            seq=seq,
            at=at,
            actor_id=entry.actor_id,
            action=entry.action,
            entity=entry.entity,
            entity_id=str(entry.entity_id),
            city=entry.city,
            data=_json_safe(entry.data),
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = event_hash(event)
        rows.append(vars(event))
    bulk.write_rows(AuditEvent.__table__, rows)  # type: ignore[arg-type]
    return len(rows)


@dataclass(frozen=True)
class ChainReport:
    """The result of re-checking the chain."""

    ok: bool
    count: int
    first_bad_seq: int | None = None


def verify(batch_size: int = 5000) -> ChainReport:
    """Re-check every event: contiguous seq, each prev_hash the previous hash, each hash right."""
    # Plain rows, streamed: checking a long chain must not fill the session's identity map.
    rows = db.session.execute(
        select(*AuditEvent.__table__.columns)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch_size)
    )
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    with rows:  # closes the server-side cursor even when the check stops early
        for event in rows:
            if (
                event.seq != expected_seq
                or event.prev_hash != expected_prev
                or event.hash != event_hash(event)
            ):
                return ChainReport(ok=False, count=count, first_bad_seq=expected_seq)
            expected_prev, expected_seq, count = event.hash, event.seq + 1, count + 1
    return ChainReport(ok=True, count=count)
