"""Officials deciding at the same instant: one decision wins, the cap holds (contract v1.1).

Committed for real on a database of its own (a SQLite file, or a schema of the PostgreSQL test
database, where the flags' row locks are what serialise the decisions), with threads released
together.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace import clock
from marketplace.auth import services as auth_services
from marketplace.earnings.models import Earning
from marketplace.extensions import db
from marketplace.subsidies.models import SubsidyFlag
from marketplace.workers import services as workers
from marketplace.workers.schemas import WorkerProfileInSchema
from tests.conftest import (
    SECRETS,
    committed_app,
    committed_token,
    next_phone,
    together,
    worker_body,
)

pytestmark = pytest.mark.slow  # racing threads on a database of their own

SCHEMA = "decision_races"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    with committed_app(tmp_path_factory.mktemp("races"), SCHEMA, SECRETS) as (app, _):
        yield app


def _trained_worker(app: Flask, *records: tuple[str, int, str]) -> tuple[int, str]:
    """A 无锡 worker with training records imported (the hooks flag them): id and ID number."""
    body = worker_body()
    with app.app_context():
        user = auth_services.create_user(next_phone(), "password-1", "worker")
        worker = workers.put_profile(user, WorkerProfileInSchema().load(body))
        worker_id = worker.id
        # Platform income before the training: one of the platform's workers.
        db.session.add(
            Earning(
                worker_id=worker_id,
                source="migration",
                month="2026-01",
                hours=Decimal("40"),
                amount=Decimal("800.00"),
                recorded_at=clock.now(),
            )
        )
        db.session.commit()
    imported = [
        {"id_number": body["id_number"], "course": c, "class_hours": h, "completed_on": d}
        for c, h, d in records
    ]
    response = app.test_client().post(
        "/api/v1/training/import",
        json={"records": imported},
        headers={"Authorization": f"Bearer {committed_token(app, 'admin')}"},
    )
    assert response.status_code == 200, response.get_json()
    return worker_id, body["id_number"]


def _flags(app: Flask, worker_id: int) -> list[tuple[int, str, Decimal]]:
    with app.app_context():
        rows = db.session.execute(
            select(SubsidyFlag.id, SubsidyFlag.status, SubsidyFlag.amount)
            .where(SubsidyFlag.worker_id == worker_id)
            .order_by(SubsidyFlag.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _decide(app: Flask, token: str, flag_id: int, **body: Any):
    client = app.test_client()
    return lambda: (
        client.post(
            f"/api/v1/subsidies/flags/{flag_id}/decision",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ).status_code
    )


def test_two_officials_deciding_one_flag_at_once_exactly_one_wins(live):
    worker_id, _ = _trained_worker(live, ("家政服务", 10, "2026-01-10"))
    [(flag_id, _, _)] = _flags(live, worker_id)
    approver, rejecter = (
        committed_token(live, "official", city="wuxi"),
        committed_token(live, "official", city="wuxi"),
    )

    statuses = together(
        [
            _decide(live, approver, flag_id, decision="approve"),
            _decide(live, rejecter, flag_id, decision="reject", reason="材料不全"),
        ]
    )

    assert sorted(statuses) == [200, 409]
    [(_, status, _)] = _flags(live, worker_id)
    assert status == ("approved" if statuses[0] == 200 else "rejected")


def test_approving_two_flags_of_one_worker_at_once_never_passes_the_cap(live):
    # 370.00 and 130.00 under the cap of 500.00; the first record then corrected to 30 h makes
    # it 500.00 while the second stays pending: both together would be 630.00.
    worker_id, id_number = _trained_worker(
        live, ("家政服务", 20, "2026-01-10"), ("养老护理", 10, "2026-02-10")
    )
    admin = committed_token(live, "admin")
    corrected = live.test_client().post(
        "/api/v1/training/import",
        json={
            "records": [
                {
                    "id_number": id_number,
                    "course": "家政服务",
                    "class_hours": 30,
                    "completed_on": "2026-01-10",
                }
            ]
        },
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert corrected.status_code == 200
    (first, _, amount), (second, _, _) = _flags(live, worker_id)
    assert amount == Decimal("500.00")
    one, other = (
        committed_token(live, "official", city="wuxi"),
        committed_token(live, "official", city="wuxi"),
    )

    statuses = Counter(
        together(
            [
                _decide(live, one, first, decision="approve"),
                _decide(live, other, second, decision="approve"),
            ]
        )
    )

    assert statuses[409] >= 1
    approved = sum(
        (amount for _, status, amount in _flags(live, worker_id) if status == "approved"),
        Decimal(0),
    )
    assert approved <= Decimal("500.00")
