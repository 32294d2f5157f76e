"""Policy versions in a real browser: an official of 西宁 opens the demo's draft successor of
宁政办〔2021〕33号, reads it beside the policy it succeeds and its simulation's chart, and
publishes it (the demo data of ``make run``; screenshots under ``test-artifacts/desk/``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.subsidies.models import PolicyVersion
from seeds import demo
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` leaves it out

XINING_OFFICIAL = demo.OFFICIALS[2][0]


def test_an_official_reads_a_draft_beside_the_policy_in_force_and_publishes_it(
    page, live_url, desk_app
):
    sign_in(page, live_url, XINING_OFFICIAL)
    page.click("nav a:has-text('政策版本')")
    page.wait_for_selector("table.versions")
    drafts = page.locator("table.versions tr.draft")
    assert drafts.count() == 1 and "草稿" in drafts.inner_text()
    assert "已发布" in page.locator("table.versions").first.inner_text()
    page.screenshot_as("policies")

    drafts.locator("a").click()
    page.wait_for_selector("table.diff")
    assert "宁政办〔2021〕33号" in page.locator("dl.facts").inner_text()  # the policy it succeeds
    rows = page.locator("table.diff tbody tr")
    assert rows.count() > 5
    assert "补贴比例" in page.locator("table.diff").inner_text()
    assert page.locator("table.simulation").is_visible()
    assert page.locator("figure.chart svg").count() >= 1
    page.screenshot_as("draft")

    page.click("button:has-text('发布此版本')")
    page.wait_for_selector("p.notice")
    assert "已发布" in page.locator("p.notice").inner_text()
    assert page.locator("h1 .status").inner_text() == "已发布"
    assert page.locator("button:has-text('发布此版本')").count() == 0
    page.screenshot_as("published")
    with desk_app.app_context():
        status = db.session.scalar(
            select(PolicyVersion.status).where(PolicyVersion.policy_id == demo.XINING_DRAFT)
        )
        assert status == "published"
