"""Bulk writes store exactly what the ORM would: through each column's type, in the transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.common import bulk
from marketplace.earnings.models import Earning
from marketplace.extensions import db
from marketplace.subsidies.models import PolicyVersion

WHEN = datetime(2026, 7, 2, 2, 0, tzinfo=UTC)


def test_rows_go_through_the_column_types(database, make_worker):
    worker = make_worker()
    ids = bulk.allocate_ids(Earning.__table__, 2)
    assert len(set(ids)) == 2
    bulk.write_rows(
        Earning.__table__,
        [
            {
                "id": earning_id,
                "worker_id": worker.id,
                "source": "bulk",
                "month": month,
                "hours": Decimal("7.5"),
                "amount": Decimal("2700.05"),
                "recorded_at": WHEN,
            }
            for earning_id, month in zip(ids, ("2026-01", "2026-02"), strict=True)
        ],
    )
    stored = database.scalars(select(Earning).where(Earning.id.in_(ids))).all()
    assert {(e.month, e.hours, e.amount, e.recorded_at) for e in stored} == {
        ("2026-01", Decimal("7.50"), Decimal("2700.05"), WHEN),
        ("2026-02", Decimal("7.50"), Decimal("2700.05"), WHEN),
    }
    assert bulk.allocate_ids(Earning.__table__, 1)[0] > max(ids)
    assert bulk.allocate_ids(Earning.__table__, 0) == []


def test_a_constraint_violation_raises_the_drivers_integrity_error(database):
    row = {
        "policy_id": "p",
        "version": 1,
        "city": "wuxi",
        "status": "draft",
        "content": "",
        "sha256": "h",
        "created_at": WHEN,
    }
    bulk.write_rows(PolicyVersion.__table__, [{**row, "id": 1}])
    dbapi = db.session.get_bind().dialect.dbapi
    with pytest.raises((IntegrityError, dbapi.IntegrityError)), database.begin_nested():
        bulk.write_rows(PolicyVersion.__table__, [{**row, "id": 2}])
    assert database.scalar(select(PolicyVersion.id)) == 1
