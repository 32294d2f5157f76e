"""Configuration: defaults <- environment <- the mapping passed in; bad values fail fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.config import ConfigError, build


def test_with_nothing_set_it_runs_on_a_sqlite_file_under_instance(tmp_path: Path):
    settings = build(tmp_path, {}, None)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'marketplace.db'}"
    # A generated secret is kept, so the same instance folder gives the same key again.
    assert len(settings["SECRET_KEY"]) >= 32
    assert build(tmp_path, {}, None)["SECRET_KEY"] == settings["SECRET_KEY"]


def test_the_environment_overrides_defaults_and_the_mapping_overrides_the_environment(
    tmp_path: Path,
):
    environ = {
        "DATABASE_URL": "postgres://postgres@db.internal/market",
        "SECRET_KEY": "from-the-environment-0123456789",
        "MARKETPLACE_ACCESS_TOKEN_TTL_SECONDS": "600",
    }
    settings = build(tmp_path, environ, None)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@db.internal/market"
    assert settings["SECRET_KEY"] == "from-the-environment-0123456789"
    assert settings["ACCESS_TOKEN_TTL_SECONDS"] == 600

    overridden = build(tmp_path, environ, {"ACCESS_TOKEN_TTL_SECONDS": 60, "TESTING": True})
    assert overridden["ACCESS_TOKEN_TTL_SECONDS"] == 60
    assert overridden["TESTING"] is True


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({"MARKETPLACE_ACCESS_TOKEN_TTL_SECONDS": "soon"}, "ACCESS_TOKEN_TTL_SECONDS"),
        ({"MARKETPLACE_TESTING": "perhaps"}, "TESTING"),
        ({"DATABASE_URL": "mysql://root@localhost/market"}, "unsupported database"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"MARKETPLACE_PASSWORD_HASH_PROFILE": "NO_SUCH_PROFILE"}, "PASSWORD_HASH_PROFILE"),
    ],
)
def test_bad_settings_stop_the_service_at_start(tmp_path: Path, environ, complaint):
    with pytest.raises(ConfigError, match=complaint):
        build(tmp_path, environ, None)
