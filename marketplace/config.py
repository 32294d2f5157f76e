"""Configuration: defaults, then the environment, then the mapping passed to ``create_app``.

Every setting has a default that lets ``make run`` work on a fresh machine; bad values fail at
start-up, not at the first request that needs them.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import argon2.profiles
from argon2 import Parameters

# Variables read from the environment under their own, conventional names.
PLAIN_ENVIRONMENT = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
}
# Any MARKETPLACE_<NAME> variable sets <NAME>.
ENVIRONMENT_PREFIX = "MARKETPLACE_"
# The Flask-SQLAlchemy bind (SQLALCHEMY_BINDS) of DATABASE_READ_URL's engine.
REPLICA_BIND = "replica"
# DATABASE_POOLER's values: none, and PgBouncer in transaction mode.
POOLERS = ("", "pgbouncer-transaction")

DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_DATABASE_URI": None,  # filled in with a SQLite file under instance/
    "SQLALCHEMY_ENGINE_OPTIONS": {
        # JSON columns keep Chinese text as it is, not as \u escapes.
        "json_serializer": partial(json.dumps, ensure_ascii=False),
        # A database error's text never carries the statement's parameters (phone numbers, ID
        # hashes) into a log.
        "hide_parameters": True,
        # Test each pooled connection before use: after a database restart or a dropped
        # connection the pool reconnects instead of failing the next request.
        "pool_pre_ping": True,
    },
    # A streaming replica of the database (MARKETPLACE_DATABASE_READ_URL; PostgreSQL in
    # production, the same kind of database as DATABASE_URL): the requests whose reads tolerate
    # a little staleness — search, recommended shifts, the statistics and the exports, each view
    # marked @reads_from_replica (marketplace/replicas.py) — read from it until they write;
    # everything else, and every write, goes to the primary. Its connections are read-only.
    # Unset: one database for everything. docs/operations.md says how to run one.
    "DATABASE_READ_URL": None,
    # What stands between the service and PostgreSQL (MARKETPLACE_DATABASE_POOLER): "" (nothing,
    # or a pooler in session mode) or "pgbouncer-transaction" — PgBouncer in transaction mode
    # (before its 1.21, which can track prepared statements), where one client's transactions
    # run on whichever server connection is free. psycopg's automatic server-side prepared
    # statements are then turned off (prepare_threshold=None), on the replica's engine too: a
    # statement prepared on one server connection is missing on the next ("prepared statement
    # "_pg3_0" does not exist") or clashes with another client's of the same name. Everything
    # else the service does holds across transactions already (docs/scaling.md, "Connection
    # pooling"); tests/test_pgbouncer.py runs it through one.
    "DATABASE_POOLER": "",
    "SECRET_KEY": None,  # filled in from instance/secret_key when not given (SQLite only)
    # Encrypts resident ID numbers at rest and keys their look-up digest. Losing it loses the
    # numbers: production sets it from a secret store; the embedded default keeps a generated one
    # in instance/id_number_key.
    "ID_KEY": None,
    # Older ID keys, comma-separated, while a rotation is under way: they still decrypt and
    # still find numbers by their digest (``flask --app wsgi keys rotate-id-key``).
    "ID_KEY_RETIRED": (),
    "TESTING": False,
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    "ACCESS_TOKEN_TTL_SECONDS": 12 * 3600,
    # Signing in (auth/throttle.py, auth/addresses.py). Failed password checks in a sliding
    # window: LOGIN_MAX_FAILURES per (phone, client address), LOGIN_MAX_FAILURES_PER_ADDRESS per
    # client address whatever the phone; past either, 429. The client address is the peer's, or
    # taken from X-Forwarded-For across exactly TRUSTED_PROXIES reverse proxies in front of the
    # service (0: none, X-Forwarded-For is ignored). Set it to the number of proxies that append
    # to X-Forwarded-For, never more: one too many lets clients choose their address.
    "LOGIN_MAX_FAILURES": 10,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 100,
    "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    "TRUSTED_PROXIES": 0,
    # Booking attempts one user may make in a sliding window (OWASP API6: shift-grabbing bots).
    "BOOKING_RATE_LIMIT": 10,
    "BOOKING_RATE_WINDOW_SECONDS": 60,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Rank candidates from an in-process index of each city's workers (off: in the database).
    "MATCHING_INDEX": True,
    # The share of the matching score given to the employer's favourites (component
    # ``favourite``, contract v1.1 "Repeat work"): like the policy's priority weight, the other
    # components share what is left (marketplace/matching/scoring.py).
    "FAVOURITE_WEIGHT": 0.10,
    # An argon2 profile of argon2.profiles; tests use CHEAPEST to stay fast.
    "PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
    # --- The audit log that proves itself (marketplace/audit/keys.py, docs/security.md) ---
    # Each event's hash is an HMAC-SHA256 under AUDIT_KEY; AUDIT_KEY_RETIRED (comma-separated)
    # are older keys, trusted only to verify the events made under them. Checkpoints are signed
    # with an Ed25519 key derived from AUDIT_SIGNING_KEY; AUDIT_SIGNING_KEY_RETIRED likewise.
    # Production sets both keys from a secret store; the embedded default keeps generated ones
    # in instance/audit_key and instance/audit_signing_key.
    "AUDIT_KEY": None,
    "AUDIT_KEY_RETIRED": (),
    "AUDIT_SIGNING_KEY": None,
    "AUDIT_SIGNING_KEY_RETIRED": (),
    # A signed checkpoint whenever an appended event's seq is a multiple of this (and hourly).
    "AUDIT_CHECKPOINT_EVERY": 1000,
    # The officials' desk (/desk/) keeps its sessions on the server (marketplace/desk/
    # server_sessions.py): the cookie holds only a random id, always HttpOnly and SameSite=Lax,
    # and Secure when the request came over HTTPS — or always, with
    # MARKETPLACE_SESSION_COOKIE_SECURE=1, which production behind a TLS-terminating proxy sets.
    # A session ends after DESK_SESSION_IDLE_SECONDS without a page, and at the latest when the
    # access token it was opened with expires (ACCESS_TOKEN_TTL_SECONDS).
    "SESSION_COOKIE_NAME": "marketplace_desk",
    "SESSION_COOKIE_SECURE": False,
    "DESK_SESSION_IDLE_SECONDS": 30 * 60,
    "DESK_PAGE_SIZE": 20,
    # A desk form's CSRF token lives as long as the session it is bound to, not one hour.
    "WTF_CSRF_TIME_LIMIT": None,
    # Browser origins allowed to call the API (comma-separated, exact, e.g. an official web
    # front end). Empty: no CORS headers at all, so no other site's script can read a response.
    "CORS_ORIGINS": "",
    # flask-smorest / OpenAPI. The title is ASCII: client generators derive package names from
    # it (openapi-python-client: marketplace-api-client), and pip refuses non-ASCII names; the
    # Chinese name is in the document's description (API_SPEC_OPTIONS in marketplace/__init__.py).
    "API_TITLE": "marketplace API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # The docs page's assets come from the swagger-ui-bundle package, served by this app.
    "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",
}

INTEGER_SETTINGS = (
    "SQLITE_BUSY_TIMEOUT_MS",
    "ACCESS_TOKEN_TTL_SECONDS",
    "LOGIN_MAX_FAILURES",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS",
    "TRUSTED_PROXIES",
    "BOOKING_RATE_LIMIT",
    "BOOKING_RATE_WINDOW_SECONDS",
    "MAX_CONTENT_LENGTH",
    "DESK_PAGE_SIZE",
    "DESK_SESSION_IDLE_SECONDS",
    "AUDIT_CHECKPOINT_EVERY",
)
# Limits, windows and page sizes: zero or less would lock everyone out (or nobody), never what
# is meant.
POSITIVE_SETTINGS = (
    "LOGIN_MAX_FAILURES",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS",
    "BOOKING_RATE_LIMIT",
    "BOOKING_RATE_WINDOW_SECONDS",
    "DESK_PAGE_SIZE",
    "DESK_SESSION_IDLE_SECONDS",
    "AUDIT_CHECKPOINT_EVERY",
)
BOOLEAN_SETTINGS = ("TESTING", "MATCHING_INDEX", "SESSION_COOKIE_SECURE")
# Older keys, kept while a rotation is under way: comma-separated in the environment, a tuple of
# strings in the configuration.
RETIRED_KEY_SETTINGS = ("ID_KEY_RETIRED", "AUDIT_KEY_RETIRED", "AUDIT_SIGNING_KEY_RETIRED")


# The secrets, each with the instance/ file in which the embedded default (SQLite) keeps a
# generated one (mode 0600). On PostgreSQL — production — each must be given: a key generated on
# one machine would differ on the next, and a lost ID key loses every stored ID number.
SECRET_FILES = {
    "SECRET_KEY": "secret_key",
    "ID_KEY": "id_number_key",
    "AUDIT_KEY": "audit_key",
    "AUDIT_SIGNING_KEY": "audit_signing_key",
}
# Settings known by an older name too (MARKETPLACE_ID_NUMBER_KEY of the first release).
RENAMED = {"ID_NUMBER_KEY": "ID_KEY"}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the service refuses to start."""


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Pick the settings that the environment gives."""
    settings: dict[str, Any] = {}
    for variable, key in PLAIN_ENVIRONMENT.items():
        if environ.get(variable):
            settings[key] = environ[variable]
    for variable, value in environ.items():
        if variable.startswith(ENVIRONMENT_PREFIX) and value != "":
            settings[variable.removeprefix(ENVIRONMENT_PREFIX)] = value
    return settings


def normalise_database_url(url: str) -> str:
    """Send PostgreSQL URLs through psycopg 3, whatever scheme spelling they arrive with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _as_int(key: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be an integer, got {value!r}") from None


def _as_share(key: str, value: Any) -> float:
    """A weight from 0 up to 0.5: a favourite may lift a worker, never decide alone."""
    try:
        share = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {value!r}") from None
    if not 0 <= share <= 0.5:
        raise ConfigError(f"{key} must be between 0 and 0.5, got {share}")
    return share


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{key} must be a boolean, got {value!r}")


def _instance_secret(instance_path: Path, name: str) -> str:
    """Keep a generated secret in instance/ so that a development server survives restarts.

    The file is created readable by its owner only (never, even for a moment, by others), and
    an older file found with wider permissions is narrowed.
    """
    secret_file = instance_path / name
    try:
        descriptor = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if secret_file.stat().st_mode & 0o077:
            secret_file.chmod(0o600)
    else:
        with os.fdopen(descriptor, "w") as created:
            created.write(secrets.token_hex(32))
    return secret_file.read_text().strip()


def build(
    instance_path: Path, environ: Mapping[str, str], overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge defaults <- environment <- overrides and check the result."""
    settings = dict(DEFAULTS)
    for given in (from_environment(environ), dict(overrides or {})):
        for old, new in RENAMED.items():
            if old in given:
                value = given.pop(old)
                if given.setdefault(new, value) != value:
                    raise ConfigError(f"{old} is the old name of {new}: give one of them")
        settings.update(given)

    for key in INTEGER_SETTINGS:
        settings[key] = _as_int(key, settings[key])
    for key in BOOLEAN_SETTINGS:
        settings[key] = _as_bool(key, settings[key])
    for key in RETIRED_KEY_SETTINGS:
        settings[key] = _key_list(key, settings[key])
    for key in POSITIVE_SETTINGS:
        if settings[key] < 1:
            raise ConfigError(f"{key} must be at least 1, got {settings[key]}")
    settings["FAVOURITE_WEIGHT"] = _as_share("FAVOURITE_WEIGHT", settings["FAVOURITE_WEIGHT"])
    if settings["TRUSTED_PROXIES"] < 0:
        raise ConfigError(f"TRUSTED_PROXIES must be 0 or more, got {settings['TRUSTED_PROXIES']}")

    if not settings["SQLALCHEMY_DATABASE_URI"]:
        instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'marketplace.db'}"
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        str(settings["SQLALCHEMY_DATABASE_URI"])
    )
    scheme = settings["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    if scheme not in {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}:
        raise ConfigError(f"unsupported database {scheme!r}: use SQLite or postgresql+psycopg")
    _behind_pooler(settings, scheme)
    _bind_replica(settings, scheme)

    if not isinstance(
        getattr(argon2.profiles, settings["PASSWORD_HASH_PROFILE"], None), Parameters
    ):
        raise ConfigError(f"PASSWORD_HASH_PROFILE {settings['PASSWORD_HASH_PROFILE']!r} unknown")

    embedded = scheme != "postgresql+psycopg"
    for key, file_name in SECRET_FILES.items():
        if not settings[key]:
            if not embedded:
                raise ConfigError(
                    f"{key} must be set (MARKETPLACE_{key}, or {key} for SECRET_KEY) when the "
                    "database is PostgreSQL: generated keys are for the embedded SQLite default"
                )
            instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
            settings[key] = _instance_secret(instance_path, file_name)
        if len(str(settings[key])) < 16:
            raise ConfigError(f"{key} must be at least 16 characters")
    if settings["ID_KEY"] in settings["ID_KEY_RETIRED"]:
        raise ConfigError("ID_KEY_RETIRED holds older keys, not ID_KEY itself")
    # The chain key and the signing key differ, so that each can be rotated (or leak) without
    # the other.
    if settings["AUDIT_KEY"] == settings["AUDIT_SIGNING_KEY"]:
        raise ConfigError("AUDIT_KEY and AUDIT_SIGNING_KEY must be different secrets")
    return settings


def _behind_pooler(settings: dict[str, Any], scheme: str) -> None:
    """Turn psycopg's server-side prepared statements off behind a transaction-mode pooler.

    Before ``_bind_replica``, which copies the engine options to the replica's engine.
    """
    pooler = settings["DATABASE_POOLER"] = str(settings["DATABASE_POOLER"] or "").strip().lower()
    if pooler not in POOLERS:
        raise ConfigError(
            f"DATABASE_POOLER must be one of {', '.join(repr(p) for p in POOLERS)}, got {pooler!r}"
        )
    if not pooler:
        return
    if scheme != "postgresql+psycopg":
        raise ConfigError(f"DATABASE_POOLER={pooler!r} is for PostgreSQL, not {scheme}")
    options = dict(settings["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _bind_replica(settings: dict[str, Any], scheme: str) -> None:
    """Add DATABASE_READ_URL's engine to SQLALCHEMY_BINDS, read-only, with the primary's options.

    Flask-SQLAlchemy gives a bind none of SQLALCHEMY_ENGINE_OPTIONS: they are copied, so that
    the replica's connections are pinged after a restart and hide parameters from logs too.
    """
    url = settings["DATABASE_READ_URL"]
    if not url:
        settings["DATABASE_READ_URL"] = None
        return
    url = settings["DATABASE_READ_URL"] = normalise_database_url(str(url))
    if url.split(":", 1)[0].split("+")[0] != scheme.split("+")[0]:
        raise ConfigError(
            "DATABASE_READ_URL must name the same kind of database as the primary "
            f"({scheme}): a replica of it"
        )
    options = dict(settings["SQLALCHEMY_ENGINE_OPTIONS"])
    if scheme == "postgresql+psycopg":
        # Every transaction on it is READ ONLY: a write routed there by mistake fails loudly,
        # even when the URL names a server that would accept it (a primary, by a slip).
        options["execution_options"] = {
            **options.get("execution_options", {}),
            "postgresql_readonly": True,
        }
    # (SQLite, which tests use as a stand-in, is made read-only by database.configure_sqlite.)
    settings["SQLALCHEMY_BINDS"] = {
        **(settings.get("SQLALCHEMY_BINDS") or {}),
        REPLICA_BIND: {**options, "url": url},
    }


def _key_list(key: str, value: Any) -> tuple[str, ...]:
    """Retired keys as a tuple, from a comma-separated string or a sequence."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    keys = tuple(str(item).strip() for item in items if str(item).strip())
    if any(len(item) < 16 for item in keys):
        raise ConfigError(f"each key of {key} must be at least 16 characters")
    return keys


def load(instance_path: Path, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Build the configuration from the process environment and ``overrides``."""
    return build(instance_path, os.environ, overrides)
