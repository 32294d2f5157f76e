"""Passwords: the rules a new password must meet.

API.md v1.1 *Sign-in*: at least 8 characters, not among the 10,000 most common, not containing
the phone number (422 saying why).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.auth import credentials
from marketplace.auth.models import User
from seeds.demo import DEMO_PASSWORD
from tests.conftest import PASSWORD, next_phone

REGISTER = "/api/v1/auth/register"


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
