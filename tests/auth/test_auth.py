"""Accounts: registration, tokens, throttling and the role guards."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace import clock
from marketplace.auth.models import AccessToken, LoginFailure, User
from tests.conftest import PASSWORD, next_phone

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"


def user_count(database) -> int:
    return database.scalar(select(func.count()).select_from(User))


def assert_error_shape(response, code: int) -> dict:
    body = response.get_json()
    assert response.status_code == code
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    return body


# --- registration -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_self_registration_creates_an_account_of_each_public_role(client, database, role):
    phone = next_phone()
    response = client.post(REGISTER, json={"phone": phone, "password": PASSWORD, "role": role})
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "phone": phone, "role": role}
    stored = database.get(User, body["id"])
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


NOT_MAINLAND_MOBILES = [
    "1380000000",
    "138000000001",
    "12800000000",
    "23800000000",
    "1380000000a",
    "",
    # 11 digits matched whole, as ASCII: Python's $ would let a trailing newline through and
    # its \d the digits of every script, and each would be another account for one phone.
    "13800000000\n",
    "１３８００００００００",  # full-width
    "١٣٨٠٠٠٠٠٠٠٠",  # Arabic-Indic
    "१३८००००००००",  # Devanagari
    " 13800000000",
    "13800000000 ",
    "138 0000 0000",
    "+8613800000000",
]


@pytest.mark.parametrize("phone", NOT_MAINLAND_MOBILES)
def test_registration_rejects_a_phone_that_is_not_a_mainland_mobile(client, database, phone):
    before = user_count(database)
    response = client.post(REGISTER, json={"phone": phone, "password": PASSWORD, "role": "worker"})
    body = assert_error_shape(response, 422)
    assert "phone" in body["errors"]["json"]
    assert user_count(database) == before


def full_width(phone: str) -> str:
    """The same number in full-width digits (what a Chinese input method may type)."""
    return phone.translate({ord(digit): 0xFF10 + int(digit) for digit in "0123456789"})


def test_a_phone_in_other_digits_is_not_a_second_account_of_the_same_number(client, database):
    phone = next_phone()
    first = client.post(REGISTER, json={"phone": phone, "password": PASSWORD, "role": "worker"})
    assert first.status_code == 201
    before = user_count(database)
    for variant in (full_width(phone), phone + "\n"):
        again = client.post(
            REGISTER, json={"phone": variant, "password": PASSWORD, "role": "employer"}
        )
        assert_error_shape(again, 422)
    assert user_count(database) == before


def test_registration_rejects_a_password_shorter_than_eight(client, database):
    before = user_count(database)
    response = client.post(
        REGISTER, json={"phone": next_phone(), "password": "1234567", "role": "worker"}
    )
    body = assert_error_shape(response, 422)
    assert "password" in body["errors"]["json"]
    assert user_count(database) == before


def test_registration_accepts_a_password_of_exactly_eight(client):
    response = client.post(
        REGISTER, json={"phone": next_phone(), "password": "tk7-rqz2", "role": "worker"}
    )
    assert response.status_code == 201


def test_a_phone_can_be_registered_only_once(client, database):
    phone = next_phone()
    first = client.post(REGISTER, json={"phone": phone, "password": PASSWORD, "role": "worker"})
    assert first.status_code == 201
    before = user_count(database)
    again = client.post(REGISTER, json={"phone": phone, "password": PASSWORD, "role": "employer"})
    assert_error_shape(again, 409)
    assert user_count(database) == before


@pytest.mark.parametrize("role", ["official", "admin", "superuser", ""])
def test_officials_and_admins_cannot_self_register(client, database, role):
    before = user_count(database)
    response = client.post(
        REGISTER, json={"phone": next_phone(), "password": PASSWORD, "role": role}
    )
    body = assert_error_shape(response, 422)
    assert "role" in body["errors"]["json"]
    assert user_count(database) == before


def test_registration_rejects_unknown_fields(client, database):
    before = user_count(database)
    response = client.post(
        REGISTER,
        json={"phone": next_phone(), "password": PASSWORD, "role": "worker", "city": "wuxi"},
    )
    assert_error_shape(response, 422)
    assert user_count(database) == before


def test_malformed_json_is_a_400_in_the_error_shape(client, database):
    before = user_count(database)
    response = client.post(REGISTER, data='{"phone": "138', content_type="application/json")
    body = assert_error_shape(response, 400)
    assert "JSON" in body["message"]
    assert user_count(database) == before


# --- tokens -------------------------------------------------------------------------------


def test_a_token_is_issued_for_the_right_password_and_identifies_the_user(client, make_user):
    user = make_user("worker")
    response = client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    me = client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json() == {"id": user.id, "phone": user.phone, "role": "worker", "city": None}


def test_an_officials_me_names_the_city(client, make_user, auth_headers):
    official = make_user("official", city="xining")
    me = client.get(ME, headers=auth_headers(official))
    assert me.get_json()["city"] == "xining"


def test_a_wrong_password_is_401(client, make_user, database):
    user = make_user("worker")
    tokens_before = database.scalar(select(func.count()).select_from(AccessToken))
    response = client.post(TOKEN, json={"phone": user.phone, "password": "wrong-password"})
    assert_error_shape(response, 401)
    assert database.scalar(select(func.count()).select_from(AccessToken)) == tokens_before


def test_an_unknown_phone_is_401_like_a_wrong_password(client):
    response = client.post(TOKEN, json={"phone": next_phone(), "password": PASSWORD})
    assert_error_shape(response, 401)


@pytest.mark.parametrize("phone", NOT_MAINLAND_MOBILES)
def test_a_token_request_with_a_malformed_phone_is_422_and_counts_no_failure(
    client, database, phone
):
    failures = database.scalar(select(func.count()).select_from(LoginFailure))
    response = client.post(TOKEN, json={"phone": phone, "password": PASSWORD})
    body = assert_error_shape(response, 422)
    assert "phone" in body["errors"]["json"]
    assert database.scalar(select(func.count()).select_from(LoginFailure)) == failures


def test_an_account_signs_in_with_its_phone_in_ascii_digits_only(client, make_user):
    user = make_user("worker")
    other_digits = full_width(user.phone)
    assert client.post(TOKEN, json={"phone": other_digits, "password": PASSWORD}).status_code == 422
    assert client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 200


def test_me_without_a_token_is_401(client):
    assert_error_shape(client.get(ME), 401)


@pytest.mark.parametrize(
    "header",
    ["Bearer forged-token-value", "Bearer ", "Basic dXNlcjpwYXNz", "forged-token-value"],
)
def test_me_with_a_forged_or_malformed_token_is_401(client, header):
    assert_error_shape(client.get(ME, headers={"Authorization": header}), 401)


def test_a_token_expires(client, make_user, auth_headers, app):
    user = make_user("worker")
    with time_machine.travel(clock.now(), tick=False) as traveller:
        headers = auth_headers(user)
        assert client.get(ME, headers=headers).status_code == 200
        ttl = app.config["ACCESS_TOKEN_TTL_SECONDS"]
        traveller.shift(timedelta(seconds=ttl - 1))
        assert client.get(ME, headers=headers).status_code == 200
        traveller.shift(timedelta(seconds=2))
        assert_error_shape(client.get(ME, headers=headers), 401)


def test_logout_revokes_the_token_at_once(client, make_user, auth_headers):
    user = make_user("employer")
    headers = auth_headers(user)
    other = auth_headers(user)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_error_shape(client.get(ME, headers=headers), 401)
    assert client.get(ME, headers=other).status_code == 200


# --- throttling ---------------------------------------------------------------------------


def test_ten_failed_logins_in_fifteen_minutes_throttle_that_phone(client, make_user):
    user = make_user("worker")
    bystander = make_user("worker")
    with time_machine.travel(clock.now(), tick=False) as traveller:
        for _ in range(10):
            response = client.post(TOKEN, json={"phone": user.phone, "password": "bad-guess!"})
            assert response.status_code == 401
            traveller.shift(timedelta(seconds=30))
        # Now even the right password is refused, for this phone only.
        throttled = client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD})
        assert_error_shape(throttled, 429)
        # The first failure was 300 s ago and leaves the 15-minute window in 600 s.
        assert throttled.headers["Retry-After"] == "600"
        ok = client.post(TOKEN, json={"phone": bystander.phone, "password": PASSWORD})
        assert ok.status_code == 200
        # The window is 15 minutes from each failure: once the first ones age out, it reopens.
        traveller.shift(timedelta(minutes=15) - timedelta(seconds=30 * 9))
        reopened = client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD})
        assert reopened.status_code == 200


def test_nine_failed_logins_do_not_throttle(client, make_user):
    user = make_user("worker")
    for _ in range(9):
        client.post(TOKEN, json={"phone": user.phone, "password": "bad-guess!"})
    assert client.post(TOKEN, json={"phone": user.phone, "password": PASSWORD}).status_code == 200


# --- guards -------------------------------------------------------------------------------


def test_role_guard_lets_the_named_roles_in_and_keeps_others_out(app, make_user, database):
    from marketplace.common.guards import require_role
    from marketplace.errors import Forbidden

    employer = make_user("employer")
    require_role(employer, "employer", "broker")
    with pytest.raises(Forbidden):
        require_role(employer, "worker")


def test_officials_need_a_known_city_and_others_have_none(app, database):
    from marketplace.auth import services
    from marketplace.errors import Invalid

    with pytest.raises(Invalid):
        services.create_user(next_phone(), PASSWORD, "official", None)
    with pytest.raises(Invalid):
        services.create_user(next_phone(), PASSWORD, "official", "shanghai")
    with pytest.raises(Invalid):
        services.create_user(next_phone(), PASSWORD, "worker", "wuxi")
    assert services.create_user(next_phone(), PASSWORD, "official", "wuxi").city == "wuxi"


def test_a_copy_of_the_database_shows_no_phone_number(client, database):
    """Phones are sealed; accounts and failed sign-ins are found by the phone's keyed digest."""
    from sqlalchemy import text

    phone = "13912340000"
    client.post(
        "/api/v1/auth/register", json={"phone": phone, "password": PASSWORD, "role": "worker"}
    )
    client.post("/api/v1/auth/token", json={"phone": phone, "password": "wrong-password-1"})
    for table in ("users", "login_failures"):
        rows = database.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
        assert rows and phone not in repr(rows), table
    signed_in = client.post("/api/v1/auth/token", json={"phone": phone, "password": PASSWORD})
    assert signed_in.status_code == 200
