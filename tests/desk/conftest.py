"""Fixtures of the desk's tests: the subsidy tests' frozen July 2026, people and flags."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient

from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import PolicyVersion
from marketplace.subsidies.policy import versions
from marketplace.subsidies.policy.catalogue import POLICY_DIR
from tests.conftest import PASSWORD, shift_times
from tests.disputes.conftest import Approved
from tests.subsidies import conftest as subsidy_fixtures
from tests.subsidies.conftest import due_in_both_cities, flags_of

# The subsidy tests' fixtures, shared: a clock frozen on 2 July 2026, people, officials.
frozen_clock = subsidy_fixtures.frozen_clock
person = subsidy_fixtures.person
admin = subsidy_fixtures.admin
wuxi_official = subsidy_fixtures.wuxi_official
xining_official = subsidy_fixtures.xining_official

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COOKIE = "marketplace_desk"
POLICY_ID = "wuxi-2021-26"
# 无锡's 800 yuan of article 二, and the 850 yuan of the desk tests' draft.
EIGHT_HUNDRED = '{ from = 2021-05-31, value = "800.00", article = "二：失业人员……按800元/人" },'
EIGHT_FIFTY = '{ from = 2021-05-31, value = "850.00", article = "二：失业人员……按800元/人" },'


def desk_cookie(client: FlaskClient):
    """The desk's session cookie in ``client`` (it is sent to /desk only), or None."""
    return client.get_cookie(COOKIE, path="/desk")


def csrf_of(page: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(
    client: FlaskClient,
    user,
    password: str = PASSWORD,
    next_page: str | None = None,
    **request: str,
):
    """Sign ``user`` in through the form, as a browser does; returns the response.

    ``request`` goes to both requests (``base_url="https://localhost"`` for HTTPS).
    """
    form = client.get("/desk/login", **request).get_data(as_text=True)
    data = {"phone": user.phone, "password": password, "csrf_token": csrf_of(form)}
    if next_page:
        data["next"] = next_page
    return client.post("/desk/login", data=data, **request)


def post_form(client: FlaskClient, page_url: str, action: str, **fields: str):
    """Submit a form of ``page_url`` to ``action`` with the page's CSRF token."""
    token = csrf_of(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **fields})


@pytest.fixture
def flagged(person, database):
    """A 无锡 platform-service flag (2026-01 … 06, imported income) and a 西宁 premium flag."""
    wuxi, xining = due_in_both_cities(person, database)
    evaluator.evaluate("wuxi", date(2026, 7, 1))
    evaluator.evaluate("xining", date(2026, 7, 1))
    database.commit()
    return flags_of(database, wuxi.id)[0], flags_of(database, xining.id)[0]


@pytest.fixture
def case_id(client, headers_of, database, make_worker, make_job):
    """A dispute of hours (6 approved of 8 worked) the employer refused: an open case."""
    job = make_job(
        title="仓库分拣",
        hourly_wage="30.00",
        shifts=[{**shift_times(days_ahead=2, start_hour=9, hours=8), "headcount": 1}],
    )
    story = Approved(client, headers_of, database, make_worker(), job.shifts[0]).approve()
    found = story.escalated_case()
    database.commit()
    return found


@pytest.fixture
def policy_draft(admin, database) -> PolicyVersion:
    """无锡's policy as version 2, a draft with 850 yuan for the unemployed instead of 800."""
    text = (POLICY_DIR / f"{POLICY_ID}.toml").read_text(encoding="utf-8")
    assert EIGHT_HUNDRED in text
    row, _ = versions.create_draft(admin, text.replace(EIGHT_HUNDRED, EIGHT_FIFTY).encode())
    database.commit()
    return row
