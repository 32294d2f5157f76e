"""Signing in is throttled per (phone, client address) and per address; whose address it is.

API.md v1.1 *Sign-in*: 10 failed token requests for a phone from one address in 15 minutes
answer 429 for that pair, 100 from one address whatever the phones answer 429 for the address,
and failures from other addresses never lock an account out. The client address is the peer's,
or X-Forwarded-For's across exactly ``MARKETPLACE_TRUSTED_PROXIES`` proxies.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask, jsonify, request
from sqlalchemy import func, select
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace import clock, create_app
from marketplace.auth import services as auth_services
from marketplace.auth.addresses import normalise_address
from marketplace.auth.models import LoginFailure
from marketplace.config import ConfigError
from marketplace.errors import TooManyRequests, Unauthorized
from marketplace.extensions import db
from tests.conftest import PASSWORD, SECRETS, committed_app, next_phone, together

TOKEN = "/api/v1/auth/token"
HOME = "203.0.113.7"  # the account owner's address
ATTACKER = "198.51.100.66"
PROXY = "10.0.0.2"


def sign_in(client, phone: str, password: str, address: str, **headers: str):
    """A token request arriving from ``address`` (the peer's address, REMOTE_ADDR)."""
    return client.post(
        TOKEN,
        json={"phone": phone, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def failures_from(database, address: str) -> int:
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.address == address)
    return database.scalar(query)


# --- per (phone, address) -----------------------------------------------------------------


def test_ten_failures_for_a_phone_from_one_address_throttle_that_pair_only(client, make_user):
    owner = make_user("worker")
    with time_machine.travel(clock.now(), tick=False):
        for _ in range(10):
            assert sign_in(client, owner.phone, "not-the-password", ATTACKER).status_code == 401
        throttled = sign_in(client, owner.phone, PASSWORD, ATTACKER)
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "900"
        # The owner, elsewhere, is not locked out by someone else's guesses.
        assert sign_in(client, owner.phone, PASSWORD, HOME).status_code == 200


def test_guesses_spread_over_many_addresses_never_lock_the_owner_out(client, make_user):
    owner = make_user("worker")
    with time_machine.travel(clock.now(), tick=False):
        for host in range(1, 13):
            for _ in range(10):
                sign_in(client, owner.phone, "wrong-guess", f"198.51.100.{host}")
            assert sign_in(client, owner.phone, PASSWORD, f"198.51.100.{host}").status_code == 429
        assert sign_in(client, owner.phone, PASSWORD, HOME).status_code == 200


def test_nine_failures_from_an_address_leave_the_phone_open_there(client, make_user):
    owner = make_user("worker")
    for _ in range(9):
        sign_in(client, owner.phone, "wrong-guess", ATTACKER)
    assert sign_in(client, owner.phone, PASSWORD, ATTACKER).status_code == 200


# --- per address --------------------------------------------------------------------------


def test_a_hundred_failures_from_one_address_over_many_phones_throttle_that_address(
    client, make_user, database
):
    someone = make_user("worker")
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(100):
            # Each phone is tried once: no pair comes near its own limit.
            assert sign_in(client, next_phone(), "password-guess", ATTACKER).status_code == 401
            traveller.shift(timedelta(seconds=3))
        assert failures_from(database, ATTACKER) == 100
        # Now even a right password, for a phone never tried from there, is refused...
        throttled = sign_in(client, someone.phone, PASSWORD, ATTACKER)
        assert throttled.status_code == 429
        assert "address" in throttled.get_json()["message"]
        # ...until the first failure leaves the window: 15 min after it, 300 s from now.
        assert throttled.headers["Retry-After"] == "600"
        assert failures_from(database, ATTACKER) == 100  # refusals are not recorded
        # Other addresses are untouched.
        assert sign_in(client, someone.phone, PASSWORD, HOME).status_code == 200
        traveller.shift(timedelta(seconds=600))
        assert sign_in(client, someone.phone, PASSWORD, ATTACKER).status_code == 200


def test_ninety_nine_failures_from_one_address_leave_it_open(client, make_user):
    someone = make_user("worker")
    for _ in range(99):
        sign_in(client, next_phone(), "password-guess", ATTACKER)
    assert sign_in(client, someone.phone, PASSWORD, ATTACKER).status_code == 200


def test_an_ipv6_client_is_counted_by_its_slash_64(client, make_user, database):
    # Otherwise one subscriber's /64 would be 2^64 addresses to spread guesses over.
    owner = make_user("worker")
    for host in range(1, 11):
        sign_in(client, owner.phone, "wrong-guess", f"2001:db8:5:6::{host:x}")
    assert sign_in(client, owner.phone, PASSWORD, "2001:db8:5:6::ffff").status_code == 429
    assert sign_in(client, owner.phone, PASSWORD, "2001:db8:5:7::1").status_code == 200
    assert failures_from(database, "2001:db8:5:6::/64") == 10


@pytest.mark.parametrize(
    ("raw", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", "unknown"),
        (None, "unknown"),
        ("not an address " * 10, ("not an address " * 10)[:64]),
    ],
)
def test_addresses_are_counted_in_one_form(raw, counted_as):
    assert normalise_address(raw) == counted_as


# --- whose address: X-Forwarded-For -------------------------------------------------------


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(
    app, client, make_user, database
):
    assert app.config["TRUSTED_PROXIES"] == 0
    assert not isinstance(app.wsgi_app, ProxyFix)
    owner = make_user("worker")
    # Spreading guesses over made-up addresses: all are the attacker's own.
    for host in range(10):
        forged = {"X-Forwarded-For": f"192.0.2.{host}"}
        assert sign_in(client, owner.phone, "wrong-guess", ATTACKER, **forged).status_code == 401
    assert failures_from(database, ATTACKER) == 10
    forged = {"X-Forwarded-For": "192.0.2.200"}
    assert sign_in(client, owner.phone, PASSWORD, ATTACKER, **forged).status_code == 429
    # Naming the owner's address locks out nobody but the attacker.
    assert failures_from(database, HOME) == 0
    assert sign_in(client, owner.phone, PASSWORD, HOME).status_code == 200


def test_without_trusted_proxies_forged_addresses_do_not_dodge_the_address_limit(client, make_user):
    someone = make_user("worker")
    for host in range(100):
        forged = {"X-Forwarded-For": f"192.0.2.{host}"}
        sign_in(client, next_phone(), "password-guess", ATTACKER, **forged)
    forged = {"X-Forwarded-For": "192.0.2.250"}
    assert sign_in(client, someone.phone, PASSWORD, ATTACKER, **forged).status_code == 429


@pytest.fixture(scope="module")
def behind_one_proxy(app: Flask):
    """The app as configured behind one reverse proxy, on the test database."""
    proxied = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TESTING": True,
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "TRUSTED_PROXIES": 1,
            **SECRETS,
        }
    )

    @proxied.get("/test/client")
    def client_as_seen():
        return jsonify(address=request.remote_addr, secure=request.is_secure)

    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def test_behind_one_proxy_the_last_hop_is_the_client(behind_one_proxy, database, make_user):
    proxied = behind_one_proxy.test_client()
    owner = make_user("worker")
    # The proxy appends the address it saw; whatever the client put before it is ignored.
    for forged in range(10):
        chain = {"X-Forwarded-For": f"192.0.2.{forged}, {ATTACKER}"}
        assert sign_in(proxied, owner.phone, "wrong-guess", PROXY, **chain).status_code == 401
    assert failures_from(database, ATTACKER) == 10
    assert failures_from(database, PROXY) == 0
    chain = {"X-Forwarded-For": f"192.0.2.99, {ATTACKER}"}
    assert sign_in(proxied, owner.phone, PASSWORD, PROXY, **chain).status_code == 429
    # Another client behind the same proxy is another address.
    assert (
        sign_in(proxied, owner.phone, PASSWORD, PROXY, **{"X-Forwarded-For": HOME}).status_code
        == 200
    )
    # A client naming the attacker's address before its own is still itself.
    chain = {"X-Forwarded-For": f"{ATTACKER}, {HOME}"}
    assert sign_in(proxied, owner.phone, PASSWORD, PROXY, **chain).status_code == 200


def test_behind_one_proxy_the_scheme_is_the_proxys(behind_one_proxy, database):
    assert isinstance(behind_one_proxy.wsgi_app, ProxyFix)
    seen = behind_one_proxy.test_client().get(
        "/test/client",
        headers={"X-Forwarded-For": HOME, "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert seen.get_json() == {"address": HOME, "secure": True}


def test_with_no_trusted_proxy_the_forwarded_headers_are_not_read(app):
    # The session's app runs without the test route; an app built the same way shows it.
    plain = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            **SECRETS,
        }
    )

    @plain.get("/test/client")
    def client_as_seen():
        return jsonify(address=request.remote_addr, secure=request.is_secure)

    seen = plain.test_client().get(
        "/test/client",
        headers={"X-Forwarded-For": HOME, "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": ATTACKER},
    )
    with plain.app_context():
        db.engine.dispose()
    assert seen.get_json() == {"address": ATTACKER, "secure": False}


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_bad_number_of_trusted_proxies_stops_the_service_at_start(value):
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        create_app({"TRUSTED_PROXIES": value, **SECRETS, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(
    "setting",
    ["LOGIN_MAX_FAILURES", "LOGIN_MAX_FAILURES_PER_ADDRESS", "LOGIN_FAILURE_WINDOW_SECONDS"],
)
def test_a_login_limit_of_zero_stops_the_service_at_start(setting):
    with pytest.raises(ConfigError, match=setting):
        create_app({setting: 0, **SECRETS, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


# --- the desk signs in through the same throttle ------------------------------------------


def test_the_desks_call_without_an_address_counts_the_requests_own(app, make_user, database):
    official = make_user("official", city="wuxi")

    def desk_sign_in(password: str, address: str):
        # What the desk's sign-in does: issue_token(phone, password), committing a failure.
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            try:
                return auth_services.issue_token(official.phone, password)
            except Unauthorized:
                db.session.commit()
                raise

    for _ in range(10):
        with pytest.raises(Unauthorized):
            desk_sign_in("wrong-guess", ATTACKER)
    assert failures_from(database, ATTACKER) == 10
    with pytest.raises(TooManyRequests):
        desk_sign_in(PASSWORD, ATTACKER)
    assert desk_sign_in(PASSWORD, HOME).access_token


# --- concurrency --------------------------------------------------------------------------


def test_concurrent_guesses_at_one_account_stop_at_the_limit(tmp_path: Path):
    # Twenty-five wrong passwords at once from one address: ten are checked and counted, the
    # rest refused, however the threads interleave (on PostgreSQL, the pair's advisory lock).
    with committed_app(tmp_path, "sign_in_concurrency", {}) as (live, _):
        with live.app_context():
            phone = auth_services.create_user(next_phone(), PASSWORD, "worker").phone
            db.session.commit()
        client = live.test_client()

        def guess() -> int:
            return sign_in(client, phone, "wrong-guess", ATTACKER).status_code

        statuses = Counter(together([guess] * 25))
        with live.app_context():
            recorded = db.session.scalar(select(func.count()).select_from(LoginFailure))
            db.session.remove()
    assert statuses == {401: 10, 429: 15}
    assert recorded == 10
