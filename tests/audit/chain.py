"""Events for the audit tests, recorded and chained."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.audit import services as audit
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db


def record_some(count: int = 3, city: str = "wuxi") -> list[AuditEvent]:
    """Record ``count`` events and chain them: the chained events, oldest first."""
    for n in range(count):
        audit.record("test.happened", "test", n, {"n": n, "amount": "1.50"}, city=city)
    assert audit.sequence() >= count
    last = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(count)
    return list(db.session.scalars(last))[::-1]
