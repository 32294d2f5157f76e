"""Command line: creating officials and admins, revoking tokens, loading the demo data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import AccessToken, User
from marketplace.auth.services import create_token
from tests.conftest import next_phone


@pytest.fixture
def cli(app, database):
    return app.test_cli_runner()


def users_with(database, phone: str) -> list[User]:
    return list(database.scalars(select(User).where(User.phone == phone)))


def test_users_create_makes_an_official_of_a_city(cli, database):
    phone = next_phone()
    result = cli.invoke(
        args=["users", "create", "--role", "official", "--city", "wuxi", "--phone", phone,
              "--password", "long-enough-1"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [official] = users_with(database, phone)
    assert (official.role, official.city) == ("official", "wuxi")


def test_users_create_makes_an_admin_without_a_city(cli, database):
    phone = next_phone()
    result = cli.invoke(
        args=["users", "create", "--role", "admin", "--phone", phone, "--password", "long-enough-1"]
    )
    assert result.exit_code == 0, result.output
    [admin] = users_with(database, phone)
    assert (admin.role, admin.city) == ("admin", None)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--role", "official", "--phone", "13511112222", "--password", "long-enough-1"],
        [
            "--role",
            "official",
            "--city",
            "beijing",
            "--phone",
            "13511112222",
            "--password",
            "x" * 9,
        ],
        ["--role", "admin", "--city", "wuxi", "--phone", "13511112222", "--password", "x" * 9],
        ["--role", "admin", "--phone", "12345", "--password", "long-enough-1"],
        ["--role", "admin", "--phone", "13511112222", "--password", "short"],
        ["--role", "root", "--phone", "13511112222", "--password", "long-enough-1"],
    ],
)
def test_users_create_refuses_bad_input_and_creates_nothing(cli, database, arguments):
    result = cli.invoke(args=["users", "create", *arguments])
    assert result.exit_code != 0
    assert users_with(database, "13511112222") == []


def test_users_create_refuses_a_taken_phone(cli, database, make_user):
    taken = make_user("worker")
    result = cli.invoke(
        args=["users", "create", "--role", "admin", "--phone", taken.phone, "--password", "x" * 9]
    )
    assert result.exit_code != 0
    assert "already registered" in result.output


def test_revoke_tokens_ends_every_session_of_an_account(cli, client, database, make_user):
    user = make_user("employer")
    token = create_token(user).access_token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    result = cli.invoke(args=["users", "revoke-tokens", "--phone", user.phone])
    assert result.exit_code == 0, result.output
    assert "revoked 1" in result.output
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_seed_demo_loads_once_when_asked_to_load_only_into_an_empty_database(cli, database):
    database.execute(AccessToken.__table__.delete())
    database.execute(User.__table__.delete())
    first = cli.invoke(args=["seed", "demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    count = database.scalar(select(func.count()).select_from(User))
    assert count > 0
    roles = set(database.scalars(select(User.role)))
    assert roles == {"worker", "employer", "broker", "official", "admin"}
    second = cli.invoke(args=["seed", "demo", "--if-empty"])
    assert "not empty" in second.output
    assert database.scalar(select(func.count()).select_from(User)) == count
