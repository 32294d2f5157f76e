"""What an employer's week leaves for the officials, in a real browser (contract v1.1).

The week of tests/week.py is lived through the API on the desk's own database (three workers,
fourteen places of one plan, a forgotten check-out closed by the scheduled job, everything
approved and paid); then an official of 无锡 opens the desk: the worker who forgot sees the
shift paid like the others, and the month's figures count the week. Screenshots are kept.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.browser.conftest import sign_in
from tests.week import Week, live_the_week

pytestmark = pytest.mark.slow  # a real browser: `make test-fast` leaves it out


@pytest.fixture(scope="module")
def week(desk_app: Flask) -> Week:
    with desk_app.app_context():
        return live_the_week(desk_app.test_client())


def test_the_official_sees_the_week_on_the_forgetful_workers_page(page, live_url, week):
    sign_in(page, live_url)
    worker_id = week.worker_ids[week.forgetful]
    page.goto(f"{live_url}/desk/workers/{worker_id}")
    page.screenshot_as("worker")
    text = page.locator("body").inner_text()
    assert "写字楼早班安保" in text
    page.goto(f"{live_url}/desk/stats")
    page.screenshot_as("stats")
    assert page.locator("h1").inner_text().endswith("灵活就业统计")
