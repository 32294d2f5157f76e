"""Configuration: defaults <- environment <- the mapping passed in; bad values fail fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.config import DEFAULTS, REPLICA_BIND, ConfigError, build


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
        "MARKETPLACE_ID_KEY": "from-the-environment-9876543210",
        "MARKETPLACE_AUDIT_KEY": "from-the-environment-audit-0123456789",
        "MARKETPLACE_AUDIT_SIGNING_KEY": "from-the-environment-signing-0123456789",
        "MARKETPLACE_ACCESS_TOKEN_TTL_SECONDS": "600",
    }
    settings = build(tmp_path, environ, None)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@db.internal/market"
    assert settings["SECRET_KEY"] == "from-the-environment-0123456789"
    assert settings["ACCESS_TOKEN_TTL_SECONDS"] == 600

    assert build(tmp_path, {"MARKETPLACE_FAVOURITE_WEIGHT": "0.2"}, None)["FAVOURITE_WEIGHT"] == 0.2
    overridden = build(tmp_path, environ, {"ACCESS_TOKEN_TTL_SECONDS": 60, "TESTING": True})
    assert overridden["ACCESS_TOKEN_TTL_SECONDS"] == 60
    assert overridden["TESTING"] is True


PRODUCTION = {
    "DATABASE_URL": "postgres://market@db.primary/market",
    "SECRET_KEY": "from-the-environment-0123456789",
    "MARKETPLACE_ID_KEY": "from-the-environment-9876543210",
    "MARKETPLACE_AUDIT_KEY": "from-the-environment-audit-0123456789",
    "MARKETPLACE_AUDIT_SIGNING_KEY": "from-the-environment-signing-0123456789",
}


def test_a_read_url_becomes_a_read_only_engine_with_the_primarys_options(tmp_path: Path):
    environ = {**PRODUCTION, "MARKETPLACE_DATABASE_READ_URL": "postgres://market@db.replica/market"}
    settings = build(tmp_path, environ, None)
    assert settings["DATABASE_READ_URL"] == "postgresql+psycopg://market@db.replica/market"
    replica = settings["SQLALCHEMY_BINDS"][REPLICA_BIND]
    assert replica["url"] == settings["DATABASE_READ_URL"]
    assert replica["execution_options"] == {"postgresql_readonly": True}
    assert replica["pool_pre_ping"] is True and replica["hide_parameters"] is True
    assert "execution_options" not in settings["SQLALCHEMY_ENGINE_OPTIONS"]  # the primary's


def test_without_a_read_url_there_is_no_replica(tmp_path: Path):
    settings = build(tmp_path, PRODUCTION, None)
    assert settings["DATABASE_READ_URL"] is None
    assert REPLICA_BIND not in (settings.get("SQLALCHEMY_BINDS") or {})


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({"MARKETPLACE_ACCESS_TOKEN_TTL_SECONDS": "soon"}, "ACCESS_TOKEN_TTL_SECONDS"),
        ({"MARKETPLACE_TESTING": "perhaps"}, "TESTING"),
        ({"DATABASE_URL": "mysql://root@localhost/market"}, "unsupported database"),
        # The embedded SQLite default cannot have a PostgreSQL replica.
        ({"MARKETPLACE_DATABASE_READ_URL": "postgres://db.replica/market"}, "same kind"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"MARKETPLACE_PASSWORD_HASH_PROFILE": "NO_SUCH_PROFILE"}, "PASSWORD_HASH_PROFILE"),
        ({"MARKETPLACE_FAVOURITE_WEIGHT": "0.9"}, "FAVOURITE_WEIGHT"),
        ({"MARKETPLACE_FAVOURITE_WEIGHT": "much"}, "FAVOURITE_WEIGHT"),
    ],
)
def test_bad_settings_stop_the_service_at_start(tmp_path: Path, environ, complaint):
    with pytest.raises(ConfigError, match=complaint):
        build(tmp_path, environ, None)


def test_generated_secrets_are_kept_readable_by_their_owner_only(tmp_path: Path):
    build(tmp_path, {}, None)
    for name in ("secret_key", "id_number_key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


def test_a_secret_file_left_readable_by_others_is_narrowed(tmp_path: Path):
    (tmp_path / "secret_key").write_text("an-older-secret-0123456789")
    (tmp_path / "secret_key").chmod(0o644)
    assert build(tmp_path, {}, None)["SECRET_KEY"] == "an-older-secret-0123456789"
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ID_KEY"])
def test_on_postgresql_the_service_refuses_to_start_without_its_keys(tmp_path: Path, missing):
    given = {
        "DATABASE_URL": "postgresql://postgres@db.internal/market",
        "SECRET_KEY": "from-the-environment-0123456789",
        "MARKETPLACE_ID_KEY": "from-the-environment-0123456789",
        "MARKETPLACE_AUDIT_KEY": "from-the-environment-audit-0123456789",
        "MARKETPLACE_AUDIT_SIGNING_KEY": "from-the-environment-signing-0123456789",
    }
    del given["SECRET_KEY" if missing == "SECRET_KEY" else "MARKETPLACE_ID_KEY"]
    with pytest.raises(ConfigError, match=missing):
        build(tmp_path, given, None)
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "id_number_key").exists()


def test_the_id_key_is_still_read_under_its_old_name(tmp_path: Path):
    old = {"MARKETPLACE_ID_NUMBER_KEY": "the-old-name-0123456789"}
    assert build(tmp_path, old, None)["ID_KEY"] == "the-old-name-0123456789"
    both = {**old, "MARKETPLACE_ID_KEY": "another-key-0123456789"}
    with pytest.raises(ConfigError, match="old name"):
        build(tmp_path, both, None)


def test_behind_pgbouncer_in_transaction_mode_prepared_statements_are_off(tmp_path: Path):
    environ = {
        **PRODUCTION,
        "MARKETPLACE_DATABASE_POOLER": "pgbouncer-transaction",
        "MARKETPLACE_DATABASE_READ_URL": "postgres://market@db.replica/market",
    }
    settings = build(tmp_path, environ, None)
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}
    replica = settings["SQLALCHEMY_BINDS"][REPLICA_BIND]
    assert replica["connect_args"] == {"prepare_threshold": None}
    # Without a pooler, psycopg prepares what it runs often (its default), and the defaults
    # themselves are left as they were.
    assert "connect_args" not in build(tmp_path, PRODUCTION, None)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "connect_args" not in DEFAULTS["SQLALCHEMY_ENGINE_OPTIONS"]


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({**PRODUCTION, "MARKETPLACE_DATABASE_POOLER": "pgpool"}, "DATABASE_POOLER must be"),
        ({"MARKETPLACE_DATABASE_POOLER": "pgbouncer-transaction"}, "is for PostgreSQL"),
    ],
)
def test_an_unknown_pooler_or_one_in_front_of_sqlite_is_refused(
    tmp_path: Path, environ: dict[str, str], complaint: str
):
    with pytest.raises(ConfigError, match=complaint):
        build(tmp_path, environ, None)
