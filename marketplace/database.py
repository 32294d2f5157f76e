"""Database plumbing: SQLite's settings, column types, the one commit point per request, and
the one way the hot paths run a statement.

A statement a hot path runs again and again is built once, by a function marked ``@prebuilt``
(on first use, when every mapper can be configured; one per shape when it takes arguments),
with its values as bind parameters, and run with ``execute_core`` (columns, writes), through
the session (entities) or with ``driver_rows`` (a large read of plain values). Building a
statement often costs more CPU than running it.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, current_app, request
from sqlalchemy import (
    BigInteger,
    CursorResult,
    DateTime,
    Engine,
    Executable,
    Select,
    event,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Text, TypeDecorator

from marketplace import replicas
from marketplace.common.crypto import FieldCipher
from marketplace.config import REPLICA_BIND
from marketplace.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
T = TypeVar("T")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Whether the transaction about to begin may write. SQLite then starts it with BEGIN IMMEDIATE,
# taking the write lock up front: concurrent writers queue on the busy timeout instead of failing
# with "database is locked" when a read transaction tries to upgrade itself.
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


def set_write_intent(writes: bool) -> None:
    """Declare whether the next transaction of this context writes (requests set it by method)."""
    _write_intent.set(writes)


def writes_on_read(view: F) -> F:
    """Mark a GET view that writes (an audit event, say): its transaction then begins as a write.

    On SQLite a read transaction that later writes may fail at once when another writer got in
    between; declaring the intent up front makes it queue for the write lock instead.
    """
    view._writes_on_read = True  # type: ignore[attr-defined]
    return view


def _view_writes_on_read(app: Flask) -> bool:
    view = app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class else view
    return bool(getattr(method, "_writes_on_read", False))


_MATH_FUNCTIONS: tuple[tuple[str, int, Callable[..., float]], ...] = (
    ("sqrt", 1, math.sqrt),
    ("sin", 1, math.sin),
    ("cos", 1, math.cos),
    ("asin", 1, math.asin),
    ("radians", 1, math.radians),
    ("power", 2, math.pow),
)


class least(FunctionElement[Any]):  # named like the SQL function it compiles to
    """The smaller of two values: ``LEAST`` on PostgreSQL, the two-argument ``min`` on SQLite."""

    inherit_cache = True
    name = "least"


@compiles(least)
def _least(element: least, compiler: Any, **kwargs: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kwargs)})"


@compiles(least, "sqlite")
def _least_on_sqlite(element: least, compiler: Any, **kwargs: Any) -> str:
    return f"min({compiler.process(element.clauses, **kwargs)})"


def configure_sqlite(engine: Engine, busy_timeout_ms: int, read_only: bool = False) -> None:
    """WAL, a busy timeout, foreign keys and explicit BEGIN on every SQLite connection.

    ``read_only``: the engine of DATABASE_READ_URL (a stand-in for a replica, in tests), whose
    connections refuse every write and never take the write lock.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        try:
            cursor.execute("SELECT sqrt(4), sin(0), cos(0), asin(0), radians(0), power(2, 2)")
        except sqlite3.OperationalError:
            # SQLite built without its math functions, which the search's and matching's
            # distances use: Python's, under the same names.
            for name, arity, function in _MATH_FUNCTIONS:
                dbapi_connection.create_function(name, arity, function, deterministic=True)
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        writes = _write_intent.get() and not read_only
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


# The embedded database holds everything the service knows about people: its file, and the
# journals SQLite makes beside it, are for the service's own account only.
PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _narrow(path: Path, mode: int) -> None:
    if path.exists() and path.stat().st_mode & 0o777 & ~mode:
        path.chmod(mode)


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite engine, or None (another database, in memory, or a ``file:`` URI)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None  # a URI names its own options (mode=memory, say): left as it is
    return Path(database)


def make_sqlite_file_private(path: Path, instance_folder: Path | None = None) -> None:
    """Create the database file readable by its owner only, before SQLite first opens it.

    SQLite creates a new database with the process's umask (0644, typically) and gives its
    ``-wal``, ``-shm`` and ``-journal`` files the database file's mode. An empty file made here
    with 0600 is a valid empty database, so every file SQLite makes afterwards is 0600 too. An
    existing file (or journal) with a wider mode is narrowed, and so is the instance folder when
    the file lives in it. A folder that does not exist is left to SQLite to report.
    """
    if instance_folder is not None and path.parent == instance_folder:
        _narrow(instance_folder, PRIVATE_FOLDER_MODE)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        pass
    except FileNotFoundError:
        return
    else:
        os.close(descriptor)
    for name in (path.name, *(path.name + suffix for suffix in SQLITE_COMPANIONS)):
        _narrow(path.with_name(name), PRIVATE_FILE_MODE)


def init_app(app: Flask) -> None:
    """Wire SQLite's settings and the request's unit of work into ``app``."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            if (path := sqlite_file(engine)) is not None:
                make_sqlite_file_private(path, Path(app.instance_path))
            configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        replica = db.engines.get(REPLICA_BIND)
        if replica is not None and replica.dialect.name == "sqlite":
            configure_sqlite(replica, app.config["SQLITE_BUSY_TIMEOUT_MS"], read_only=True)
    replicas.init_app(app)

    @app.before_request
    def declare_write_intent() -> None:
        set_write_intent(request.method not in SAFE_METHODS or _view_writes_on_read(app))

    @app.after_request
    def commit_on_success(response: Response) -> Response:
        # The one commit point of a request: services flush, this commits — or rolls back when
        # the request failed, so that a rejected request changes nothing.
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def rollback_on_exception(error: BaseException | None) -> None:
        if error is not None:
            db.session.rollback()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC on every database (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must carry an offset")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal stored as an integer count of 1/10^places units (money in fen).

    Integers keep sums exact in SQL on SQLite too, whose NUMERIC columns are floating point.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int = 2) -> None:
        super().__init__()
        self.places = places
        self.quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        exact = Decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP)
        return int(exact.scaleb(self.places))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places).quantize(self.quantum)


@cache
def _cipher(secret: str, retired: tuple[str, ...]) -> FieldCipher:
    return FieldCipher(secret, retired)


def personal_cipher() -> FieldCipher:
    """The cipher of personal data at rest: ID_KEY, and ID_KEY_RETIRED while rotating."""
    config = current_app.config
    return _cipher(config["ID_KEY"], tuple(config["ID_KEY_RETIRED"]))


def personal_digest(kind: str, value: str) -> str:
    """The keyed digest under which a personal value of ``kind`` (``"phone"``) is found."""
    return personal_cipher().lookup_hash(f"{kind}:{value}")


def personal_digests(kind: str, value: str) -> list[str]:
    """Every digest a stored value may carry: the current key's, then each retired key's."""
    return personal_cipher().lookup_hashes(f"{kind}:{value}")


class Sealed(TypeDecorator[str]):
    """Text stored encrypted (AES-256-GCM under ID_KEY), read back in clear.

    For personal data that nothing looks up by value — a worker's name: a copy of the
    database shows ciphertext. Encryption is randomised, so equality filters on such a column
    find nothing; a value that must be found has a keyed digest beside it instead.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else personal_cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else personal_cipher().decrypt(value)


def Money() -> ScaledDecimal:
    """Yuan with two decimals, held as integer fen."""
    return ScaledDecimal(2)


def count_rows(query: Select[Any]) -> int:
    """How many rows ``query`` answers, counted by the database (its ordering dropped)."""
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return db.session.scalar(counted) or 0


def execute_core(statement: Executable, parameters: Any = None) -> CursorResult[*tuple[Any, ...]]:
    """Run a Core ``statement`` (columns or plain writes, no entities) in the session's transaction.

    Without the ORM's execution and result machinery, which ``Session.execute`` adds. The
    session's pending changes are flushed first, as its own execute would.
    """
    if db.session.autoflush:
        db.session.flush()
    # The statement goes with the request for a connection, so that it is routed as the
    # session's own would be: a marked request's plain reads to the replica (replicas.py).
    connection = db.session.connection(bind_arguments={"clause": statement})
    return connection.execute(statement, parameters)


def prebuilt(build: Callable[P, T]) -> Callable[P, T]:
    """Mark a function that builds a hot statement (or its loader options): built once per
    distinct arguments, on first use, its values bound when it runs.

    On first use, not at import: building a statement of ORM entities configures every mapper,
    which needs every model imported. The arguments are the statement's *shape* (which filters,
    how many ranges), never its values, so the shapes are few; the bound keeps a mistake from
    growing without limit.
    """
    return lru_cache(maxsize=256)(build)  # type: ignore[return-value]


@prebuilt
def _advisory_lock() -> Executable:
    return text("SELECT pg_advisory_xact_lock(:key)")


def serialise_on(key: int) -> None:
    """Wait for, then hold until the transaction ends, the lock named by the 64-bit ``key``.

    PostgreSQL's transaction-scoped advisory lock; on SQLite every writing transaction already
    holds the database's one write lock (``BEGIN IMMEDIATE``), so there is nothing to take.
    What is read under the lock is read to write: from the primary, even in a request whose
    reads go to a replica.
    """
    replicas.will_write()
    if db.session.get_bind().dialect.name == "postgresql":
        execute_core(_advisory_lock(), {"key": key})


def stored_integer(column: Any) -> Any:
    """A ``ScaledDecimal`` column as the integer it stores (fen, hundredths of an hour): sums in
    SQL stay exact integers, and reading them back skips the Decimal of every row."""
    return type_coerce(column, BigInteger)


def driver_rows(query: Select[Any]) -> list[Any]:
    """The driver's own tuples of a read of integers, text and floats only (no column type to
    apply): at a million rows, building SQLAlchemy's result rows costs more than the query.

    The session's pending changes are flushed first, as ``execute_core`` does.
    """
    if db.session.autoflush:
        db.session.flush()
    connection = db.session.connection(bind_arguments={"clause": query})
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    if compiled.positional:
        params: Any = tuple(compiled.params[name] for name in compiled.positiontup or ())
    else:
        params = compiled.params
    result = connection.exec_driver_sql(str(compiled), params)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()
