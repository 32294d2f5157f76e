"""Decisions that hold (contract v1.1): approving re-checks the flag against the rules first.

Approving asks the rules again, as of the decision's day, in the same transaction, and answers
409 — approving nothing — when the rules no longer propose the flag, propose another amount,
or when the worker's approved total under a capped programme would pass its cap.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from marketplace.audit.models import AuditEvent
from marketplace.earnings.models import Earning, TrainingRecord
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import SubsidyFlag
from tests.subsidies.conftest import due_in_both_cities, flags_of, trainee

FLAGS = "/api/v1/subsidies/flags"
TRAINING = "/api/v1/training/import"


def decide(client, headers, flag_id, **body):
    return client.post(f"{FLAGS}/{flag_id}/decision", json=body, headers=headers)


def approve(client, headers, flag_id):
    return decide(client, headers, flag_id, decision="approve")


def approvals(database) -> int:
    return database.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "flag.approved")
    )


def import_training(client, headers, worker, *records):
    body = [
        {"id_number": worker.id_number, "course": c, "class_hours": h, "completed_on": d}
        for c, h, d in records
    ]
    response = client.post(TRAINING, json={"records": body}, headers=headers)
    assert response.status_code == 200, response.get_json()


def approved_total(database, worker_id) -> Decimal:
    return sum(
        (f.amount for f in flags_of(database, worker_id) if f.status == "approved"), Decimal(0)
    )


@pytest.fixture
def platform_flag(person, database):
    """A pending 无锡 platform-service flag (six stable months in the first half of 2026)."""
    wuxi, _ = due_in_both_cities(person, database)
    evaluator.evaluate("wuxi", date(2026, 7, 1))
    database.commit()
    return flags_of(database, wuxi.id)[0]


def test_a_flag_the_rules_still_propose_for_its_amount_is_approved(
    client, auth_headers, wuxi_official, platform_flag, database
):
    response = approve(client, auth_headers(wuxi_official), platform_flag.id)
    assert response.status_code == 200
    assert response.get_json()["status"] == "approved"
    assert approvals(database) == 1


def test_a_flag_the_rules_no_longer_propose_is_not_approved(
    client, auth_headers, wuxi_official, platform_flag, database
):
    # The income of a month of the run turns out never to have been earned (removed at the
    # source, no hook ran): the run is broken, the rules propose nothing any more.
    database.execute(
        delete(Earning).where(
            Earning.worker_id == platform_flag.worker_id, Earning.month == "2026-03"
        )
    )
    database.commit()

    response = approve(client, auth_headers(wuxi_official), platform_flag.id)

    assert response.status_code == 409
    body = response.get_json()
    assert body["errors"] == {"proposed_now": None}
    assert "the rules no longer propose this flag" in body["message"]
    assert flags_of(database, platform_flag.worker_id)[0].status == "pending"
    assert approvals(database) == 0


def test_a_flag_whose_amount_the_rules_changed_is_not_approved_at_the_old_amount(
    client, auth_headers, admin, wuxi_official, person, database
):
    worker = trainee(person, database)
    import_training(client, auth_headers(admin), worker, ("家政服务", 10, "2026-01-10"))
    [flag] = flags_of(database, worker.id)
    assert flag.amount == Decimal("185.00")
    # The record is corrected at the source to 12 class hours, without an evaluation since.
    database.execute(
        update(TrainingRecord)
        .where(TrainingRecord.worker_id == worker.id)
        .values(class_hours=Decimal("12"))
    )
    database.commit()

    response = approve(client, auth_headers(wuxi_official), flag.id)

    assert response.status_code == 409
    assert response.get_json()["errors"]["proposed_now"]["amount"] == "222.00"
    assert "222.00" in response.get_json()["message"]
    assert flags_of(database, worker.id)[0].status == "pending"

    # Evaluated again, the flag says 222.00 and is approved for it.
    evaluator.evaluate_workers([worker.id], date(2026, 12, 1))
    database.commit()
    assert approve(client, auth_headers(wuxi_official), flag.id).status_code == 200
    assert approved_total(database, worker.id) == Decimal("222.00")


def test_the_630_reproduction_ends_at_the_cap_of_500(
    client, auth_headers, admin, wuxi_official, person, database
):
    """Records of 20 h and 10 h flagged 370.00 and 130.00; the first corrected to 30 h and
    re-evaluated to 500.00. Approving both gave 630.00 under a cap of 500.00."""
    worker = trainee(person, database)
    headers = auth_headers(admin)
    import_training(
        client, headers, worker, ("家政服务", 20, "2026-01-10"), ("养老护理", 10, "2026-02-10")
    )
    first, second = flags_of(database, worker.id)
    assert (first.amount, second.amount) == (Decimal("370.00"), Decimal("130.00"))
    import_training(client, headers, worker, ("家政服务", 30, "2026-01-10"))  # the correction
    first, second = flags_of(database, worker.id)
    assert first.amount == Decimal("500.00")

    official = auth_headers(wuxi_official)
    assert approve(client, official, first.id).status_code == 200
    refused = approve(client, official, second.id)

    assert refused.status_code == 409
    assert refused.get_json()["errors"] == {"cap": "500.00", "approved": "500.00"}
    assert "over the cap of 500.00 yuan" in refused.get_json()["message"]
    assert approved_total(database, worker.id) == Decimal("500.00")
    # Rejecting it always works.
    rejected = decide(client, official, second.id, decision="reject", reason="已达上限")
    assert rejected.status_code == 200


def test_the_630_reproduction_in_the_other_order_ends_at_500_too(
    client, auth_headers, admin, wuxi_official, person, database
):
    worker = trainee(person, database)
    headers, official = auth_headers(admin), auth_headers(wuxi_official)
    import_training(
        client, headers, worker, ("家政服务", 20, "2026-01-10"), ("养老护理", 10, "2026-02-10")
    )
    first, second = flags_of(database, worker.id)
    assert approve(client, official, second.id).status_code == 200  # 130.00
    import_training(client, headers, worker, ("家政服务", 30, "2026-01-10"))  # the correction
    first = flags_of(database, worker.id)[0]
    assert first.amount == Decimal("370.00")  # what the cap leaves beside the approved 130.00

    assert approve(client, official, first.id).status_code == 200
    assert approved_total(database, worker.id) == Decimal("500.00")


def test_a_refused_approval_changes_nothing(
    client, auth_headers, admin, wuxi_official, person, database
):
    worker = trainee(person, database)
    headers, official = auth_headers(admin), auth_headers(wuxi_official)
    import_training(
        client, headers, worker, ("家政服务", 20, "2026-01-10"), ("养老护理", 10, "2026-02-10")
    )
    import_training(client, headers, worker, ("家政服务", 30, "2026-01-10"))
    first, second = flags_of(database, worker.id)
    assert approve(client, official, first.id).status_code == 200  # 500.00, the cap
    before = {
        f.id: (f.status, f.amount, f.fingerprint, f.updated_at)
        for f in database.scalars(select(SubsidyFlag).where(SubsidyFlag.worker_id == worker.id))
    }
    events = database.scalar(select(func.count()).select_from(AuditEvent))

    assert approve(client, official, second.id).status_code == 409

    database.expire_all()
    after = {
        f.id: (f.status, f.amount, f.fingerprint, f.updated_at)
        for f in database.scalars(select(SubsidyFlag).where(SubsidyFlag.worker_id == worker.id))
    }
    assert after == before
    assert database.scalar(select(func.count()).select_from(AuditEvent)) == events
