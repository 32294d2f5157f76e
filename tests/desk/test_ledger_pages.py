"""The desk's money pages: refused approvals say why, payments are recorded, the ledger."""

from __future__ import annotations

import csv
import io

from sqlalchemy import delete, select

from marketplace.audit.models import AuditEvent
from marketplace.earnings.models import Earning
from marketplace.subsidies.models import SubsidyFlag
from tests.desk.conftest import post_form, sign_in


def flag_of(database, flag_id) -> SubsidyFlag:
    database.expire_all()
    return database.get(SubsidyFlag, flag_id)


def approve(client, flag_id):
    url = f"/desk/flags/{flag_id}"
    return post_form(client, url, f"{url}/decision", decision="approve", back="/desk/")


def test_an_approval_the_rules_no_longer_support_is_refused_on_the_page(
    client, wuxi_official, flagged, database
):
    flag = flagged[0]
    database.execute(delete(Earning).where(Earning.worker_id == flag.worker_id))
    database.commit()
    sign_in(client, wuxi_official)

    response = approve(client, flag.id)

    assert response.status_code == 409
    assert "规则已不再得出此标记" in response.get_data(as_text=True)
    assert flag_of(database, flag.id).status == "pending"


def test_an_official_records_a_payment_from_the_flags_page(
    client, wuxi_official, flagged, database
):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    approve(client, flag.id)
    url = f"/desk/flags/{flag.id}"
    page = client.get(url).get_data(as_text=True)
    assert "登记发放" in page

    refused = post_form(client, url, f"{url}/disbursement", paid_on="2026-07-02", voucher=" ")
    assert refused.status_code == 422
    assert "请填写发放日期和凭证号" in refused.get_data(as_text=True)
    assert flag_of(database, flag.id).disbursed_on is None

    paid = post_form(
        client, url, f"{url}/disbursement", paid_on="2026-07-02", voucher="锡财拨-0001"
    )
    assert paid.status_code == 303
    shown = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "已于 2026-07-02 发放，凭证号 锡财拨-0001" in shown
    assert str(flag_of(database, flag.id).disbursed_on) == "2026-07-02"


def test_an_admin_sees_a_payment_is_due_but_records_none(client, admin, wuxi_official, flagged):
    flag = flagged[0]
    sign_in(client, wuxi_official)
    approve(client, flag.id)
    admin_client = client.application.test_client()
    sign_in(admin_client, admin)
    page = admin_client.get(f"/desk/flags/{flag.id}").get_data(as_text=True)
    assert "尚未发放" in page and "登记发放</button>" not in page


def test_the_ledger_page_shows_each_bucket_and_the_total(client, wuxi_official, flagged, database):
    wuxi_flag = flagged[0]
    sign_in(client, wuxi_official)
    approve(client, wuxi_flag.id)

    page = client.get("/desk/ledger").get_data(as_text=True)

    assert "无锡市 · 资金台账" in page
    assert "就业创业服务补助" in page and "平台企业" in page
    assert "800.00" in page and "合计" in page
    assert "西宁" not in page.split("<table")[1]  # another city's flags are not in it


def test_the_ledger_downloads_as_a_spreadsheet_and_the_download_is_audited(
    client, wuxi_official, flagged, database
):
    sign_in(client, wuxi_official)
    approve(client, flagged[0].id)

    response = client.get("/desk/exports/ledger.csv")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["补贴项目", "政策", "受益方", "待审核笔数"]
    assert rows[1][0] == "就业创业服务补助" and rows[1][5:7] == ["1", "800.00"]
    event = database.scalar(select(AuditEvent).where(AuditEvent.entity_id == "ledger"))
    assert event is not None and event.actor_id == wuxi_official.id
    assert client.get("/desk/exports/ledger.xlsx").status_code == 200


def test_another_citys_ledger_is_refused(client, wuxi_official, flagged):
    sign_in(client, wuxi_official)
    assert client.get("/desk/ledger?city=xining").status_code == 403
