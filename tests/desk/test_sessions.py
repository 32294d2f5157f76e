"""The desk's sessions live on the server: the cookie is a random id, and sessions end.

The cookie carries no token and nothing signed; signing out, 30 idle minutes, the access token's
lifetime and ``flask users revoke-tokens`` each end a session; the CSRF token is bound to the
session; the API has no session at all.
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
import time_machine
from flask import session
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from marketplace import clock
from marketplace.auth import services as auth_services
from marketplace.auth.models import AccessToken
from marketplace.desk.models import DeskSession
from marketplace.desk.server_sessions import id_hash
from marketplace.scheduler import run_job
from tests.desk.conftest import COOKIE, csrf_of, desk_cookie, post_form, sign_in

QUEUE = "/desk/"
HTTPS = {"base_url": "https://localhost"}


def sessions_stored(database) -> int:
    database.expire_all()
    return database.scalar(select(func.count()).select_from(DeskSession)) or 0


def row_of(database, client) -> DeskSession | None:
    database.expire_all()
    cookie = desk_cookie(client)
    return database.scalar(select(DeskSession).where(DeskSession.id_hash == id_hash(cookie.value)))


def signed_in(client, **request: str) -> bool:
    response = client.get(QUEUE, **request)
    assert response.status_code in (200, 302)
    return response.status_code == 200


# --- what the cookie holds --------------------------------------------------------------------


def test_the_cookie_holds_only_a_random_id_and_nothing_signed(app, client, wuxi_official, database):
    sign_in(client, wuxi_official)
    value = desk_cookie(client).value
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
    assert len(base64.urlsafe_b64decode(value + "=")) == 32  # 32 random bytes, nothing more
    assert auth_services.user_for_token(value) is None  # not a bearer token
    with pytest.raises(BadSignature):  # not Flask's signed session, nor anything signed
        URLSafeTimedSerializer(app.secret_key, salt="cookie-session").loads(value)
    row = row_of(database, client)
    # The server keeps the id's digest only, and the session points at its token's row.
    assert row.id_hash == id_hash(value) != value
    assert value not in str(row.data)
    token = database.get(AccessToken, row.access_token_id)
    assert token.user_id == wuxi_official.id and token.revoked_at is None


def test_over_https_the_cookie_is_secure(client, wuxi_official):
    sign_in(client, wuxi_official, **HTTPS)
    assert desk_cookie(client).secure
    assert signed_in(client, **HTTPS)


def test_plain_http_gets_a_cookie_without_secure_unless_the_setting_asks(
    app, client, wuxi_official, monkeypatch
):
    sign_in(client, wuxi_official)
    assert not desk_cookie(client).secure
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)  # TLS ends at a proxy
    other = app.test_client()
    response = other.get("/desk/login")
    assert "; Secure" in response.headers["Set-Cookie"]


def test_an_anonymous_visitor_costs_no_row(app, client, wuxi_official, database):
    before = sessions_stored(database)
    for _ in range(5):
        visitor = app.test_client()
        assert visitor.get("/desk/login").status_code == 200
        assert visitor.get(QUEUE).status_code == 302
    assert sign_in(client, wuxi_official, password="wrong-password").status_code == 401
    assert sessions_stored(database) == before


# --- how a session ends -----------------------------------------------------------------------


def test_an_idle_session_ends_after_thirty_minutes_without_a_page(client, wuxi_official):
    with time_machine.travel(clock.now(), tick=False) as traveller:
        sign_in(client, wuxi_official)
        traveller.shift(timedelta(minutes=29))
        assert signed_in(client)
        traveller.shift(timedelta(minutes=29))  # 58 minutes in, but never 30 without a page
        assert signed_in(client)
        traveller.shift(timedelta(minutes=30, seconds=1))
        assert not signed_in(client)
        assert not signed_in(client)  # and it stays ended


def test_a_busy_session_still_ends_with_its_access_token(app, client, wuxi_official, monkeypatch):
    monkeypatch.setitem(app.config, "ACCESS_TOKEN_TTL_SECONDS", 3600)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        sign_in(client, wuxi_official)
        for _ in range(2):
            traveller.shift(timedelta(minutes=20))
            assert signed_in(client)
        traveller.shift(timedelta(minutes=20))  # a page every 20 minutes, and an hour is up
        assert not signed_in(client)


def test_revoking_the_accounts_tokens_closes_the_desk_at_once(app, client, wuxi_official):
    sign_in(client, wuxi_official)
    assert signed_in(client)
    result = app.test_cli_runner().invoke(
        args=["users", "revoke-tokens", "--phone", wuxi_official.phone]
    )
    assert result.exit_code == 0 and "revoked 1" in result.output
    assert not signed_in(client)


def test_signing_out_ends_only_that_session(app, client, wuxi_official, database):
    other_browser = app.test_client()
    sign_in(client, wuxi_official)
    sign_in(other_browser, wuxi_official)
    post_form(client, QUEUE, "/desk/logout")
    assert not signed_in(client) and signed_in(other_browser)


def test_the_notice_after_signing_out_is_shown_once_and_nothing_is_kept(
    client, wuxi_official, database
):
    before = sessions_stored(database)
    sign_in(client, wuxi_official)
    post_form(client, QUEUE, "/desk/logout")
    assert "已退出登录。" in client.get("/desk/login").get_data(as_text=True)
    assert "已退出登录。" not in client.get("/desk/login").get_data(as_text=True)
    assert sessions_stored(database) == before


def test_a_session_id_planted_before_sign_in_is_replaced(app, client, wuxi_official):
    planted = "A" * 43  # what an attacker could set in the victim's browser
    client.set_cookie(COOKIE, planted, path="/desk")
    sign_in(client, wuxi_official)
    assert desk_cookie(client).value != planted
    attacker = app.test_client()
    attacker.set_cookie(COOKIE, planted, path="/desk")
    assert not signed_in(attacker)


def test_the_signed_cookie_of_the_older_release_is_dropped(client, wuxi_official):
    # The previous release kept the token in a signed cookie sent for the whole site.
    legacy = "eyJkZXNrX3Rva2VuIjoiLi4uIn0.aBcDeF.signature"
    client.set_cookie(COOKIE, legacy, path="/")
    response = client.get("/desk/login")
    dropped = [h for h in response.headers.getlist("Set-Cookie") if re.search(r"Path=/(;|$)", h)]
    assert dropped and "Expires=Thu, 01 Jan 1970" in dropped[0]
    assert client.get_cookie(COOKIE, path="/") is None
    # Beside a session of this release, it goes too, and the session is kept.
    sign_in(client, wuxi_official)
    client.set_cookie(COOKIE, legacy, path="/")
    assert signed_in(client)
    assert client.get_cookie(COOKIE, path="/") is None


def test_the_purge_job_drops_ended_sessions_and_keeps_live_ones(
    app, wuxi_official, database, client
):
    idle, live, revoked = client, app.test_client(), app.test_client()
    with time_machine.travel(clock.now(), tick=False) as traveller:
        sign_in(idle, wuxi_official)
        traveller.shift(timedelta(minutes=20))
        sign_in(live, wuxi_official)
        sign_in(revoked, wuxi_official)
        database.execute(
            update(AccessToken)
            .where(AccessToken.id == row_of(database, revoked).access_token_id)
            .values(revoked_at=clock.now())
        )
        database.commit()
        traveller.shift(timedelta(minutes=15))  # the first is 35 minutes idle
        assert run_job("purge").result["desk_sessions"] == 2
        database.expire_all()
        assert database.scalars(select(DeskSession.id_hash)).all() == [
            id_hash(desk_cookie(live).value)
        ]
        assert signed_in(live)


# --- CSRF stays bound to the session ----------------------------------------------------------


def test_a_csrf_token_works_only_with_its_own_session(app, client, wuxi_official):
    sign_in(client, wuxi_official)
    token = csrf_of(client.get(QUEUE).get_data(as_text=True))
    other = app.test_client()
    sign_in(other, wuxi_official)
    assert other.post("/desk/logout", data={"csrf_token": token}).status_code == 400
    assert signed_in(other)
    assert client.post("/desk/logout", data={"csrf_token": token}).status_code == 303


def test_signing_in_gives_a_new_csrf_token(client, wuxi_official):
    before = csrf_of(client.get("/desk/login").get_data(as_text=True))
    sign_in(client, wuxi_official)
    assert client.post("/desk/logout", data={"csrf_token": before}).status_code == 400
    assert signed_in(client)


def test_a_post_without_the_csrf_token_is_refused_even_when_signed_in(client, wuxi_official):
    sign_in(client, wuxi_official)
    assert client.post("/desk/logout").status_code == 400
    assert signed_in(client)


# --- the API has no session -------------------------------------------------------------------


def test_the_api_reads_no_session_writes_none_and_sets_no_cookie(
    app, client, wuxi_official, auth_headers
):
    sign_in(client, wuxi_official)
    headers = auth_headers(wuxi_official)
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    from sqlalchemy import event

    from marketplace.extensions import db

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        # The browser would not even send the cookie to /api (its path is /desk); a client
        # that does gets nothing from it.
        client.set_cookie(COOKIE, desk_cookie(client).value, path="/")
        response = client.get("/api/v1/auth/me", headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert not [s for s in statements if "desk_sessions" in s]


def test_writing_to_the_session_outside_the_desk_is_refused(app):
    with app.test_request_context("/api/v1/auth/me"):
        assert dict(session) == {}
        with pytest.raises(RuntimeError, match="only the desk"):
            session["anything"] = 1


def test_every_desk_page_declares_its_write_before_its_first_read(app):
    # A signed-in page writes its session; on SQLite the transaction must begin as a writer.
    pages = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("desk.") and rule.endpoint != "desk.static"
    ]
    assert pages
    for rule in pages:
        view = app.view_functions[rule.endpoint]
        assert "POST" in rule.methods or getattr(view, "_writes_on_read", False), rule
