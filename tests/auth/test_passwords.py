"""Passwords: the rules a new password must meet, and changing one's own password.

API.md v1.1 *Sign-in*: at least 8 characters, not among the 10,000 most common, not containing
the phone number (422 saying why); ``POST /api/v1/auth/password`` ``{"old", "new"}`` changes
one's own password and revokes every other token of the user.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.auth import credentials
from marketplace.auth.models import ROLES, AccessToken, LoginFailure, User
from marketplace.database import personal_digest
from seeds.demo import DEMO_PASSWORD
from tests.conftest import PASSWORD, next_phone

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"
CHANGE = "/api/v1/auth/password"
NEW_PASSWORD = "staple-battery-77"


def register(client, password: str, phone: str | None = None):
    body = {"phone": phone or next_phone(), "password": password, "role": "worker"}
    return client.post(REGISTER, json=body)


def password_error(response) -> str:
    body = response.get_json()
    assert response.status_code == 422
    [message] = body["errors"]["json"]["password"]
    return message


# --- the rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", [PASSWORD, DEMO_PASSWORD, "tk7-rqz2", "我的密码是很长的一句话"]
)
def test_a_password_that_meets_the_rules_is_accepted(client, password):
    assert register(client, password).status_code == 201


@pytest.mark.parametrize(
    "password",
    [
        "12345678",
        "password1",
        "Password1",  # compared case-insensitively
        "PASSWORD1",
        "iloveyou",
        "qwertyuiop",
        # From the Chinese list: 我爱你一生一世, 我爱你, 5201314 (我爱你一生一世 by sound).
        "woaini1314",
        "5201314a",
        "WoAiNi520",
        "1qaz2wsx",
    ],
)
def test_a_common_password_is_refused(client, database, password):
    before = database.scalar(select(func.count()).select_from(User))
    message = password_error(register(client, password))
    assert "most common passwords" in message
    assert database.scalar(select(func.count()).select_from(User)) == before


def test_a_password_containing_the_phone_number_is_refused(client):
    phone = next_phone()
    for password in (phone, f"my{phone}!", f"{phone}abc"):
        assert password_error(register(client, password, phone)) == (
            "must not contain the phone number"
        )


def test_a_password_containing_another_number_is_accepted(client):
    phone = next_phone()
    assert register(client, f"my{next_phone()}!", phone).status_code == 201


def test_a_password_shorter_than_eight_is_refused_saying_so(client):
    assert "8" in password_error(register(client, "tk7-rqz"))


def test_the_list_holds_the_union_of_both_sources_lower_cased_and_eight_or_longer():
    common = credentials.common_passwords()
    assert {"12345678", "password1", "woaini1314", "5201314a", "iloveyou"} <= common
    assert all(len(entry) >= credentials.MIN_PASSWORD_LENGTH for entry in common)
    assert all(entry == entry.lower() for entry in common)
    assert DEMO_PASSWORD not in common and PASSWORD not in common
    assert len(common) > 6000


@pytest.mark.parametrize(
    ("password", "weakness"),
    [
        ("short1!", "must be at least 8 characters"),
        ("x" * 129, "must be at most 128 characters"),
        ("11111111", "is one of the most common passwords"),
        ("call-13500000042", "must not contain the phone number"),
    ],
)
def test_each_weakness_is_named(password, weakness):
    found = credentials.password_weakness(password, "13500000042")
    assert found is not None and found.startswith(weakness)
    assert credentials.password_weakness("call-me-maybe-77", "13500000042") is None


# --- changing one's password ------------------------------------------------------------------


def token_of(client, phone: str, password: str):
    return client.post(TOKEN, json={"phone": phone, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def change(client, headers, old: str, new: str):
    return client.post(CHANGE, json={"old": old, "new": new}, headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_any_user_changes_their_password_and_every_other_token_is_revoked(client, make_user, role):
    city = "wuxi" if role == "official" else None
    user = make_user(role, city=city)
    this = token_of(client, user.phone, PASSWORD).get_json()["access_token"]
    others = [token_of(client, user.phone, PASSWORD).get_json()["access_token"] for _ in range(2)]

    response = change(client, bearer(this), PASSWORD, NEW_PASSWORD)

    assert response.status_code == 200
    assert response.get_json() == {"revoked_tokens": 2}
    assert client.get(ME, headers=bearer(this)).status_code == 200
    for other in others:
        assert client.get(ME, headers=bearer(other)).status_code == 401
    assert token_of(client, user.phone, PASSWORD).status_code == 401
    assert token_of(client, user.phone, NEW_PASSWORD).status_code == 200


def test_other_users_tokens_are_left_alone(client, make_user, auth_headers):
    user, bystander = make_user("worker"), make_user("worker")
    bystanders_headers = auth_headers(bystander)
    assert change(client, auth_headers(user), PASSWORD, NEW_PASSWORD).status_code == 200
    assert client.get(ME, headers=bystanders_headers).status_code == 200


def test_a_password_change_is_audited_without_any_password(
    client, make_user, auth_headers, database
):
    user = make_user("official", city="xining")
    headers = auth_headers(user)
    auth_headers(user)  # a second session, revoked by the change
    assert change(client, headers, PASSWORD, NEW_PASSWORD).status_code == 200
    [event] = (
        client.application.extensions["sqlalchemy"]
        .session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_changed"))
        .all()
    )
    assert (event.entity, event.entity_id, event.actor_id) == ("user", str(user.id), user.id)
    assert event.city is None
    assert event.data == {"revoked_tokens": 1}
    recorded = json.dumps(event.data)
    assert PASSWORD not in recorded and NEW_PASSWORD not in recorded


def test_without_a_token_nobody_changes_a_password(client):
    assert change(client, {}, PASSWORD, NEW_PASSWORD).status_code == 401


def test_a_wrong_old_password_is_422_counts_as_a_failed_sign_in_and_changes_nothing(
    client, make_user, auth_headers, database
):
    user = make_user("worker")
    headers = auth_headers(user)
    other = auth_headers(user)
    response = change(client, headers, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["old"] == ["wrong password"]
    failures = select(func.count()).select_from(LoginFailure)
    digest = personal_digest("phone", user.phone)
    assert database.scalar(failures.where(LoginFailure.phone_digest == digest)) == 1
    assert client.get(ME, headers=other).status_code == 200
    assert token_of(client, user.phone, PASSWORD).status_code == 200


def test_a_stolen_token_cannot_be_used_to_guess_the_password(client, make_user, auth_headers):
    user = make_user("worker")
    stolen = auth_headers(user)
    for guess in range(10):
        assert change(client, stolen, f"guess-number-{guess}", NEW_PASSWORD).status_code == 422
    throttled = change(client, stolen, PASSWORD, NEW_PASSWORD)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    # The same count as token requests: the thief's address may not try the phone there either.
    assert token_of(client, user.phone, PASSWORD).status_code == 429
    assert token_of(client, user.phone, PASSWORD).headers["Retry-After"]


def test_the_throttle_of_token_requests_holds_for_a_password_change(
    client, make_user, auth_headers
):
    user = make_user("worker")
    headers = auth_headers(user)
    for _ in range(10):
        token_of(client, user.phone, "wrong-guess")
    assert change(client, headers, PASSWORD, NEW_PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("new", "why"),
    [
        (PASSWORD, "must differ from the current password"),
        ("12345678", "is one of the most common passwords"),
        ("woaini1314", "is one of the most common passwords"),
    ],
)
def test_the_new_password_follows_the_rules(client, make_user, auth_headers, new, why):
    user = make_user("worker")
    headers = auth_headers(user)
    other = auth_headers(user)
    response = change(client, headers, PASSWORD, new)
    assert response.status_code == 422
    [message] = response.get_json()["errors"]["json"]["new"]
    assert message.startswith(why)
    assert client.get(ME, headers=other).status_code == 200
    assert token_of(client, user.phone, PASSWORD).status_code == 200


def test_the_new_password_may_not_contain_the_phone_number(client, make_user, auth_headers):
    user = make_user("worker")
    response = change(client, auth_headers(user), PASSWORD, f"new-{user.phone}")
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["new"] == ["must not contain the phone number"]


def test_a_new_password_shorter_than_eight_is_422(client, make_user, auth_headers):
    user = make_user("worker")
    response = change(client, auth_headers(user), PASSWORD, "tk7-rqz")
    assert response.status_code == 422
    assert "new" in response.get_json()["errors"]["json"]


def test_expired_tokens_are_not_counted_as_revoked(client, make_user, auth_headers, database):
    user = make_user("worker")
    headers = auth_headers(user)
    auth_headers(user)
    expired = AccessToken(
        user_id=user.id,
        token_hash="0" * 64,
        created_at=user.created_at,
        expires_at=user.created_at,
    )
    database.add(expired)
    database.commit()
    response = change(client, headers, PASSWORD, NEW_PASSWORD)
    assert response.get_json() == {"revoked_tokens": 1}


def test_every_way_of_making_an_account_holds_the_rules(app, database):
    # The service holds them, not only the HTTP schema: the CLI, the seeds and tests go through it.
    from marketplace.auth import services
    from marketplace.errors import Invalid

    with pytest.raises(Invalid) as weak:
        services.create_user(next_phone(), "password1", "admin")
    assert "password" in weak.value.errors["json"]
    with pytest.raises(Invalid) as malformed:
        services.create_user("１３５００００００９９", PASSWORD, "admin")
    assert "phone" in malformed.value.errors["json"]
