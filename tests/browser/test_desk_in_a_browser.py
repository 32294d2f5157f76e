"""The officials' desk in a real browser: Debian's Chromium, driven by Playwright for Python.

The desk runs on a real HTTP server (werkzeug, in a thread) over its own committed database,
loaded with the demo data that ``make run`` shows. The browser is the system's Chromium: no
browser is ever downloaded. A screenshot of every page is kept under ``test-artifacts/desk/``
(``MARKETPLACE_TEST_ARTIFACTS`` moves it), for a person to look at after CI.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, update

from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import SubsidyFlag
from marketplace.workers.models import GroupStatus
from seeds import demo
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` leaves it out


def pending_count(page) -> int:
    heading = page.locator("h1 small").inner_text()  # "共 N 条"
    return int(heading.removeprefix("共").removesuffix("条").strip())


def test_an_official_decides_a_flag_and_downloads_the_list(page, live_url, desk_app):
    sign_in(page, live_url)
    page.screenshot_as("queue")
    before = pending_count(page)
    assert before > 0
    assert page.locator("table.queue tbody tr").count() == min(before, 5)  # paged by 5

    page.click("table.queue tbody tr:first-child a:has-text('查看')")
    page.wait_for_selector("h2:has-text('收入与缴费')")
    flag_id = int(page.locator("h1").inner_text().split("#")[1].split()[0])
    page.screenshot_as("flag")
    assert "********" in page.locator(".card dd.mono").inner_text()  # the ID number, masked

    page.click("button:has-text('驳回')")  # no reason given
    page.wait_for_selector("p.error")
    assert "驳回必须填写理由" in page.locator("p.error").inner_text()
    page.screenshot_as("reject-refused")
    with desk_app.app_context():
        assert db.session.get(SubsidyFlag, flag_id).status == "pending"

    page.fill("textarea[name=reason]", "收入与缴费记录核对无误")
    page.click("button:has-text('批准')")
    page.wait_for_url(f"{live_url}/desk/")
    assert f"标记 #{flag_id} 已批准" in page.locator("p.notice").inner_text()
    assert pending_count(page) == before - 1
    page.screenshot_as("queue-after")
    with desk_app.app_context():
        decided = db.session.get(SubsidyFlag, flag_id)
        assert (decided.status, decided.decision_reason) == ("approved", "收入与缴费记录核对无误")

    with page.expect_download() as download_info:
        page.click("a.button:has-text('CSV')")
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    saved = ARTIFACTS / "desk" / download.suggested_filename
    download.save_as(str(saved))
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "标记编号" and len(rows) == before  # header + the pending flags left
    assert str(flag_id) not in {row[0] for row in rows[1:]}


def test_the_queue_filters_by_programme_and_risk(page, live_url):
    sign_in(page, live_url)
    page.select_option("select[name=program]", "training")
    page.click("button:has-text('筛选')")
    page.wait_for_url("**program=training**")
    page.screenshot_as("training")
    programmes = page.locator("table.queue tbody td:nth-child(3)").all_inner_texts()
    assert programmes and all("线上职业培训补贴" in text for text in programmes)

    page.select_option("select[name=program]", "")
    page.select_option("select[name=risk_signal]", "none")
    page.click("button:has-text('筛选')")
    page.wait_for_url("**risk_signal=none**")
    risks = page.locator("table.queue tbody td:nth-child(6)").all_inner_texts()
    assert risks and all(text.strip() == "无" for text in risks)


def test_the_statistics_page_draws_its_charts(page, live_url, desk_app):
    sign_in(page, live_url)
    page.click("nav a:has-text('统计')")
    page.wait_for_selector("figure.chart")
    page.screenshot_as("stats")
    assert page.locator("figure.chart").count() == 4
    assert page.locator("figure.chart svg rect").count() >= 24  # two twelve-month charts
    with page.expect_download() as download_info:
        page.click("a.button:has-text('下载 Excel')")
    assert download_info.value.suggested_filename.endswith(".xlsx")


def test_a_worker_account_is_turned_away(page, live_url, desk_app):
    with desk_app.app_context():
        phone = db.session.scalar(select(User.phone).where(User.role == "worker").limit(1))
    page.goto(f"{live_url}/desk/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("p.error")
    page.screenshot_as("worker-refused")
    assert "审核台仅供" in page.locator("p.error").inner_text()


def test_an_official_approves_records_the_payment_and_reads_the_ledger(page, live_url, desk_app):
    sign_in(page, live_url)
    page.click("table.queue tbody tr:first-child a:has-text('查看')")
    page.wait_for_selector("h2:has-text('收入与缴费')")
    flag_id = int(page.locator("h1").inner_text().split("#")[1].split()[0])
    flag_url = page.url
    page.click("button:has-text('批准')")
    page.wait_for_url(f"{live_url}/desk/")

    page.goto(flag_url)
    page.wait_for_selector("section.payment")
    page.fill("input[name=voucher]", "锡财拨〔2026〕118号-0001")
    page.click("button:has-text('登记发放')")
    page.wait_for_selector("p.notice")
    assert f"标记 #{flag_id} 已登记发放" in page.locator("p.notice").inner_text()
    page.screenshot_as("payment")
    with desk_app.app_context():
        paid = db.session.get(SubsidyFlag, flag_id)
        assert (paid.status, paid.voucher) == ("approved", "锡财拨〔2026〕118号-0001")
        amount = paid.amount

    page.click("nav a:has-text('资金台账')")
    page.wait_for_selector("table.ledger")
    page.screenshot_as("ledger")
    # The total line: pending, approved (not yet paid), disbursed, rejected — each count, amount.
    total = page.locator("table.ledger tfoot td").all_inner_texts()
    assert int(total[4]) >= 1 and str(amount) in page.locator("table.ledger tbody").inner_text()
    with page.expect_download() as download_info:
        page.click("a.button:has-text('下载 Excel')")
    assert download_info.value.suggested_filename.startswith("ledger-wuxi")


def test_an_official_verifies_a_declared_status_and_approves_the_flag_resting_on_it(
    page, live_url, desk_app
):
    # A pending 无锡 platform-service flag whose worker's unemployment status is only declared.
    with desk_app.app_context():
        flag = db.session.scalar(
            select(SubsidyFlag)
            .where(
                SubsidyFlag.city == "wuxi",
                SubsidyFlag.status == "pending",
                SubsidyFlag.program == "platform_service",
            )
            .order_by(SubsidyFlag.id.desc())
            .limit(1)
        )
        assert flag is not None
        flag_id, worker_id = flag.id, flag.worker_id
        db.session.execute(
            update(GroupStatus)
            .where(GroupStatus.worker_id == worker_id)
            .values(status="declared", decided_by=None, decided_at=None)
        )
        evaluator.evaluate_workers([worker_id])
        db.session.commit()
    sign_in(page, live_url)
    page.goto(f"{live_url}/desk/flags/{flag_id}")
    assert "群体状态未核验" in page.locator("ul.risks").inner_text()
    page.click("button:has-text('批准')")
    page.wait_for_selector("p.error")
    assert "尚未核验" in page.locator("p.error").inner_text()
    page.screenshot_as("approval-refused")

    page.click("a:has-text('查看与核验')")
    page.wait_for_selector("table.statuses")
    declared = page.locator("tr.status-declared")
    for number in range(1, declared.count() + 1):  # each of the worker's declared statuses
        page.fill("tr.status-declared >> nth=0 >> input[name=reference]", f"锡人社证-{number:04d}")
        page.click("tr.status-declared >> nth=0 >> button:has-text('核验')")
        page.wait_for_selector("p.notice")
        assert "状态已核验" in page.locator("p.notice").inner_text()
    assert page.locator("tr.status-declared").count() == 0
    page.screenshot_as("status-verified")

    page.goto(f"{live_url}/desk/flags/{flag_id}")
    page.click("button:has-text('批准')")
    page.wait_for_url(f"{live_url}/desk/")
    assert f"标记 #{flag_id} 已批准" in page.locator("p.notice").inner_text()
    with desk_app.app_context():
        assert db.session.get(SubsidyFlag, flag_id).status == "approved"
