"""Protection for workers in a real browser: an official of 无锡 rejects a post that asks workers
for a deposit, then decides the case of a disputed night shift, upheld with an amount (the demo
data of ``make run``; screenshots under ``test-artifacts/desk/``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.disputes.models import Case
from marketplace.earnings.models import Earning
from marketplace.extensions import db
from marketplace.jobs.models import Job
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` leaves it out

FEE_POST = "酒店客房服务员（入职需交押金200元）"


def test_an_official_rejects_a_fee_asking_post_and_upholds_a_case_with_an_amount(
    page, live_url, desk_app
):
    sign_in(page, live_url)
    page.click("nav a:has-text('待审核岗位')")
    row = page.locator("tr.held", has_text=FEE_POST)
    assert "标题或说明要求劳动者付费（押金）" in row.inner_text()
    page.screenshot_as("review-queue")
    row.locator("input[name=reason]").fill("岗位要求劳动者缴纳押金，违反《就业服务与就业管理规定》")
    row.locator("button:has-text('驳回')").click()
    page.wait_for_selector("p.notice")
    assert f"岗位「{FEE_POST}」已驳回" in page.locator("p.notice").inner_text()
    assert FEE_POST not in page.locator("table.reviews").inner_text()
    page.screenshot_as("post-rejected")
    with desk_app.app_context():
        status = db.session.scalar(select(Job.review_status).where(Job.title == FEE_POST))
        assert status == "rejected"

    page.click("nav a:has-text('投诉案件')")
    page.click("table.cases tr:has-text('仓库夜间理货') a")
    page.wait_for_selector("table.attendance")
    assert "42 米" in page.locator("table.attendance").inner_text()
    messages = page.locator("ol.messages").inner_text()
    assert "主张 8.00 小时" in messages and "排班表显示2点下班" in messages
    page.screenshot_as("case")
    page.fill("textarea[name=text]", "请用工方提供仓库门禁记录")
    page.click("button:has-text('发送留言')")
    page.wait_for_selector("p.notice")
    page.check("input[name=outcome][value=upheld]")
    page.fill("input[name=amount]", "50.00")
    page.fill("textarea[name=reason]", "门禁记录显示劳动者凌晨4点离开，应补发2小时工资")
    page.click("button:has-text('办结案件')")
    page.wait_for_selector("p.notice")
    assert "已办结" in page.locator("p.notice").inner_text()
    assert "认定应补发 50.00 元" in page.locator("dl.facts").inner_text()
    assert "补记" in page.locator("table.earnings").inner_text()
    page.screenshot_as("case-resolved")
    with desk_app.app_context():
        case = db.session.scalar(select(Case).where(Case.kind == "dispute"))
        assert (case.status, case.outcome) == ("resolved", "upheld")
        adjustment = db.session.get(Earning, case.adjustment_id)
        assert (adjustment.source, adjustment.amount) == ("adjustment", Decimal("50.00"))
