"""What was paid (contract v1.1): disbursing approved flags, the ledger, and workers told."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from marketplace.audit.models import AuditEvent
from marketplace.cities import catalogue
from marketplace.earnings.models import Earning
from marketplace.notifications.models import Notification
from marketplace.subsidies.evaluation import evaluator
from tests.subsidies.conftest import due_in_both_cities, flags_of
from tests.subsidies.conftest import trainee as make_trainee

FLAGS = "/api/v1/subsidies/flags"
LEDGER = "/api/v1/subsidies/ledger"
TRAINING = "/api/v1/training/import"
VOUCHER = "锡财拨〔2026〕118号-0001"


def today() -> date:
    """Today in 无锡, as the service reads it (the tests' clock, in the city's time zone)."""
    place = catalogue.find("wuxi")
    assert place is not None
    return place.today()


def paid() -> dict[str, str]:
    return {"paid_on": today().isoformat(), "voucher": VOUCHER}


def decide(client, headers, flag_id, **body):
    return client.post(f"{FLAGS}/{flag_id}/decision", json=body, headers=headers)


def disburse(client, headers, flag_id, **body):
    return client.post(f"{FLAGS}/{flag_id}/disbursement", json=body or paid(), headers=headers)


def notices(database, user_id) -> list[tuple[str, str]]:
    return [
        (n.kind, n.message)
        for n in database.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    ]


@pytest.fixture
def due(person, database):
    wuxi, xining = due_in_both_cities(person, database)
    evaluator.evaluate("wuxi", date(2026, 7, 1))
    evaluator.evaluate("xining", date(2026, 7, 1))
    database.commit()
    return wuxi, xining


@pytest.fixture
def approved(client, auth_headers, wuxi_official, due, database):
    """The 无锡 worker's platform-service flag, approved."""
    wuxi, _ = due
    flag = flags_of(database, wuxi.id)[0]
    assert (
        decide(client, auth_headers(wuxi_official), flag.id, decision="approve").status_code == 200
    )
    return flag


# --- disbursement -----------------------------------------------------------------------------


def test_an_official_records_the_payment_of_an_approved_flag_once(
    client, auth_headers, wuxi_official, approved, database
):
    headers = auth_headers(wuxi_official)
    response = disburse(client, headers, approved.id)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["disbursed_on"], body["voucher"]) == (today().isoformat(), VOUCHER)
    event = database.scalar(select(AuditEvent).where(AuditEvent.action == "flag.disbursed"))
    assert event.entity_id == str(approved.id) and event.data["voucher"] == VOUCHER
    assert event.actor_id == wuxi_official.id

    again = disburse(client, headers, approved.id, paid_on=today().isoformat(), voucher="另一张")
    assert again.status_code == 409
    assert "already recorded on" in again.get_json()["message"]
    assert flags_of(database, approved.worker_id)[0].voucher == VOUCHER


def test_only_an_approved_flag_is_paid(client, auth_headers, wuxi_official, due, database):
    wuxi, _ = due
    flag = flags_of(database, wuxi.id)[0]
    headers = auth_headers(wuxi_official)
    assert disburse(client, headers, flag.id).status_code == 409  # pending
    decide(client, headers, flag.id, decision="reject", reason="材料不全")
    assert disburse(client, headers, flag.id).status_code == 409  # rejected
    assert flags_of(database, wuxi.id)[0].disbursed_on is None


@pytest.mark.parametrize(
    ("days", "voucher", "field"),
    [
        (1, "v", "paid_on"),
        (-1, "v", "paid_on"),
        (0, "  ", "voucher"),
        (0, None, "voucher"),
        (None, "v", "paid_on"),
    ],
    ids=["in the future", "before the approval", "blank voucher", "no voucher", "no day"],
)
def test_a_payment_needs_a_day_between_the_approval_and_today_and_a_voucher(
    client, auth_headers, wuxi_official, approved, database, days, voucher, field
):
    body = {} if days is None else {"paid_on": (today() + timedelta(days=days)).isoformat()}
    if voucher is not None:
        body["voucher"] = voucher
    response = disburse(client, auth_headers(wuxi_official), approved.id, **body)
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])
    assert flags_of(database, approved.worker_id)[0].disbursed_on is None


def test_admins_and_other_roles_may_not_record_a_payment(
    client, auth_headers, admin, make_user, approved, database
):
    assert disburse(client, auth_headers(admin), approved.id).status_code == 403
    for role in ("worker", "employer", "broker"):
        assert disburse(client, auth_headers(make_user(role)), approved.id).status_code == 403
    assert flags_of(database, approved.worker_id)[0].disbursed_on is None


def test_another_citys_official_does_not_find_the_flag(
    client, auth_headers, xining_official, approved, database
):
    assert disburse(client, auth_headers(xining_official), approved.id).status_code == 404
    assert disburse(client, auth_headers(xining_official), 999_999).status_code == 404
    assert flags_of(database, approved.worker_id)[0].disbursed_on is None


# --- the ledger -------------------------------------------------------------------------------


def bucket(count: int, amount: str) -> dict:
    return {"count": count, "amount": amount}


EMPTY = bucket(0, "0.00")


def test_the_ledger_puts_each_flag_in_one_bucket_and_sums_exactly(
    client, auth_headers, admin, wuxi_official, person, due, database
):
    wuxi, _ = due
    official = auth_headers(wuxi_official)
    trainee = make_trainee(person, database)
    client.post(
        TRAINING,
        json={
            "records": [
                {"id_number": trainee.id_number, "course": c, "class_hours": h, "completed_on": d}
                for c, h, d in (
                    ("家政服务", "7.5", "2026-01-10"),
                    ("养老护理", "3", "2026-02-10"),
                    ("餐饮服务", "1", "2026-03-10"),
                )
            ]
        },
        headers=auth_headers(admin),
    )
    first, second, third = flags_of(database, trainee.id)  # 138.75, 55.50, 18.50
    decide(client, official, first.id, decision="approve")
    decide(client, official, second.id, decision="approve")
    disburse(client, official, second.id)
    decide(client, official, third.id, decision="reject", reason="未完成")
    platform = flags_of(database, wuxi.id)[0]
    decide(client, official, platform.id, decision="approve")
    disburse(client, official, platform.id)

    response = client.get(LEDGER, headers=official)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["city"] == "wuxi"
    assert body["rows"] == [
        {
            "program": "platform_service",
            "policy_id": platform.policy_id,
            "beneficiary": "platform",
            "pending": EMPTY,
            "approved": EMPTY,
            "disbursed": bucket(1, "800.00"),
            "rejected": EMPTY,
        },
        {
            "program": "training",
            "policy_id": first.policy_id,
            "beneficiary": "platform",
            "pending": EMPTY,
            "approved": bucket(1, "138.75"),
            "disbursed": bucket(1, "55.50"),
            "rejected": bucket(1, "18.50"),
        },
    ]
    only_training = client.get(LEDGER, query_string={"program": "training"}, headers=official)
    assert [row["program"] for row in only_training.get_json()["rows"]] == ["training"]
    # The month is the flags' period_end: the platform run ends in June; training has none.
    june = client.get(LEDGER, query_string={"month": "2026-06"}, headers=official)
    assert [row["program"] for row in june.get_json()["rows"]] == ["platform_service"]
    assert client.get(LEDGER, query_string={"month": "2026-05"}, headers=official).get_json() == {
        "city": "wuxi",
        "rows": [],
    }
    admin_view = client.get(LEDGER, query_string={"city": "wuxi"}, headers=auth_headers(admin))
    assert admin_view.get_json() == body


def test_the_ledger_is_the_officials_own_citys(
    client, auth_headers, wuxi_official, xining_official, admin, make_user, due
):
    other = client.get(LEDGER, query_string={"city": "xining"}, headers=auth_headers(wuxi_official))
    assert other.status_code == 403
    mine = client.get(LEDGER, headers=auth_headers(xining_official)).get_json()
    assert mine["city"] == "xining"
    assert [row["pending"]["count"] for row in mine["rows"]] == [1]
    assert client.get(LEDGER, headers=auth_headers(admin)).status_code == 422  # which city?
    assert (
        client.get(
            LEDGER, query_string={"city": "nowhere"}, headers=auth_headers(admin)
        ).status_code
        == 422
    )
    for role in ("worker", "employer", "broker"):
        assert client.get(LEDGER, headers=auth_headers(make_user(role))).status_code == 403


# --- workers are told -------------------------------------------------------------------------


def test_a_worker_is_told_when_a_flag_is_created_approved_and_paid_each_once(
    client, auth_headers, wuxi_official, due, approved, database
):
    disburse(client, auth_headers(wuxi_official), approved.id)
    evaluator.evaluate("wuxi", date(2026, 7, 1))  # again: nothing new to tell
    database.commit()
    told = notices(database, due[0].user.id)
    assert [kind for kind, _ in told] == ["flag_created", "flag_approved", "flag_disbursed"]
    created, approved_notice, paid_notice = (message for _, message in told)
    assert "就业创业服务补助（800.00 元，付给平台）" in created and "等待经办人员审核" in created
    assert "已经经办人员审核批准" in approved_notice
    assert f"已于 {today()} 发放" in paid_notice


def test_a_worker_is_told_why_a_flag_was_rejected(
    client, auth_headers, wuxi_official, due, database
):
    wuxi, _ = due
    flag = flags_of(database, wuxi.id)[0]
    decide(client, auth_headers(wuxi_official), flag.id, decision="reject", reason="收入记录存疑")
    kinds = dict(notices(database, wuxi.user.id))
    assert "未获批准" in kinds["flag_rejected"] and "收入记录存疑" in kinds["flag_rejected"]


def test_a_refused_approval_tells_nobody(client, auth_headers, wuxi_official, due, database):
    wuxi, _ = due
    flag = flags_of(database, wuxi.id)[0]
    database.execute(delete(Earning).where(Earning.worker_id == wuxi.id))
    database.commit()
    assert (
        decide(client, auth_headers(wuxi_official), flag.id, decision="approve").status_code == 409
    )
    count = database.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "flag_approved")
    )
    assert count == 0
    assert Decimal(flag.amount) == Decimal("800.00")
