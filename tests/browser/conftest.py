"""Fixtures of the browser tests: the app on a committed database with the demo data, served
over HTTP, and Debian's Chromium driven by Playwright (no browser is ever downloaded).

A screenshot of every page is kept under ``test-artifacts/desk/`` (``MARKETPLACE_TEST_ARTIFACTS``
moves it), for a person to look at after CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from marketplace.extensions import db
from seeds import demo
from tests.conftest import committed_app, served

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCHEMA = "desk_browser"
ARTIFACTS = Path(
    os.environ.get("MARKETPLACE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
WUXI_OFFICIAL = demo.OFFICIALS[1][0]


@pytest.fixture(scope="module")
def desk_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on its own committed database, loaded with the demo data."""
    config = {
        "SECRET_KEY": "browser-test-secret-key",
        "ID_KEY": "browser-test-id-number-key",
        "AUDIT_KEY": "browser-test-audit-key",
        "AUDIT_SIGNING_KEY": "browser-test-audit-signing-key",
        "DESK_PAGE_SIZE": 5,
    }
    with committed_app(tmp_path_factory.mktemp("desk"), SCHEMA, config) as (app, _url):
        with app.app_context():
            demo.load()
            db.session.commit()
        yield app


@pytest.fixture(scope="module")
def live_url(desk_app: Flask) -> Iterator[str]:
    """The desk served over HTTP on a free loopback port."""
    with served(desk_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless."""
    if not CHROMIUM.exists():
        pytest.fail(
            "the browser tests need Debian's chromium at /usr/bin/chromium: `make test` installs "
            "it (apt-get install chromium); nothing is downloaded by Playwright"
        )
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser page (own cookies) that saves its screenshots under the test's name."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    tab = context.new_page()
    folder = ARTIFACTS / "desk"
    folder.mkdir(parents=True, exist_ok=True)
    shots = iter(range(1, 100))

    def screenshot(name: str) -> Path:
        path = folder / f"{request.node.name}-{next(shots):02d}-{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    tab.screenshot_as = screenshot
    yield tab
    context.close()


def sign_in(page, live_url: str, phone: str = WUXI_OFFICIAL) -> None:
    page.goto(f"{live_url}/desk/")
    page.screenshot_as("login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(f"{live_url}/desk/")
