"""Read replicas: the reads that tolerate a little staleness go to a streaming replica.

With ``DATABASE_READ_URL`` set, the app has a second engine (the Flask-SQLAlchemy bind
``REPLICA_BIND``). A view marked ``@reads_from_replica`` — search, recommended shifts, the
statistics and the exports; ``docs/operations.md`` lists them and says why each tolerates
staleness — routes the request's reads to it from the moment the view's body starts. Everything
else goes to the primary: every request that is not marked, every write, every read that locks
(``FOR UPDATE``) or is written as text (an advisory lock is a ``SELECT`` of text), and every
read of a marked request after it wrote or declared it will (``will_write``: the reads a write
is computed from, such as the audit chain's tail), which therefore sees its own writes. Without the
setting nothing changes: one engine.

The routing lives in the session (``RoutingSession.get_bind``), the one door every statement
passes: ORM queries, lazy loads and flushes, and the hot paths' ``execute_core`` and
``driver_rows``, which ask the session for a connection *for their statement*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Connection, Engine
from sqlalchemy.sql.selectable import GenerativeSelect

from marketplace.config import REPLICA_BIND

F = TypeVar("F", bound=Callable[..., Any])

# Whether this request's reads may come from the replica (a marked view is running), and
# whether it has written since: then every statement goes to the primary, so that the request
# reads what it wrote. Reset when each request begins and ends (``init_app``), like
# ``database._write_intent``: the scheduler and the command line never see a replica.
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)
_wrote: ContextVar[bool] = ContextVar("wrote", default=False)


def reads_from_replica(view: F) -> F:
    """Mark a view whose reads tolerate a little staleness: they go to the replica, if one is
    configured, until the request writes.

    Put it nearest the function, below ``@auth_required``: the routing starts when the view's
    body does, so the bearer token is still looked up on the primary — a token issued a moment
    ago works, and one revoked a moment ago does not.
    """

    @wraps(view)
    def routed(*args: Any, **kwargs: Any) -> Any:
        _replica_reads.set(True)
        return view(*args, **kwargs)

    routed._reads_from_replica = True  # type: ignore[attr-defined]
    return routed  # type: ignore[return-value]


def will_write() -> None:
    """Declare that the request is about to write: from now on it reads the primary.

    For the reads a write is computed from, which must see the latest rows even though they are
    plain ``SELECT``s — the audit chain's tail, read under its lock (``database.serialise_on``
    calls this). On SQLite no statement of the lock would tell the session otherwise.
    """
    if _replica_reads.get():
        _wrote.set(True)


def reset() -> None:
    """Forget the routing of the request that ends (or of code run outside a request)."""
    _replica_reads.set(False)
    _wrote.set(False)


def _only_reads(clause: Any) -> bool:
    """A ``SELECT`` (or a ``UNION`` of them) that takes no row locks.

    ``FOR UPDATE``/``FOR SHARE`` are taken only to write after them, and a standby refuses them.
    Text statements may do anything (``SELECT pg_advisory_xact_lock(…)``): primary.
    """
    return isinstance(clause, GenerativeSelect) and clause._for_update_arg is None


class RoutingSession(FlaskSession):
    """The app's session: reads of a marked view from the replica until the request writes."""

    def get_bind(
        self,
        mapper: Any | None = None,
        clause: Any | None = None,
        bind: Engine | Connection | None = None,
        **kwargs: Any,
    ) -> Engine | Connection:
        """The replica for a marked request's plain reads; the primary for everything else."""
        primary = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is not None or not _replica_reads.get() or _wrote.get():
            return primary
        replica = self._db.engines.get(REPLICA_BIND)
        if replica is None:
            return primary
        if self._flushing or (clause is not None and not _only_reads(clause)):
            _wrote.set(True)  # from now on the request reads its own writes
            return primary
        if clause is None:
            # No statement: a caller asking which database this is (its dialect), or for a raw
            # connection — ``connection`` below takes the latter as a write.
            return primary
        return replica

    def connection(
        self,
        bind_arguments: dict[str, Any] | None = None,
        execution_options: Any = None,
    ) -> Connection:
        """The connection for ``bind_arguments["clause"]``; without a statement, the primary's,
        and the request is taken to write (a caller that runs its own SQL on it: ``COPY``)."""
        if (bind_arguments or {}).get("clause") is None and _replica_reads.get():
            _wrote.set(True)
        return super().connection(bind_arguments, execution_options)


def init_app(app: Flask) -> None:
    """Reset the routing when each request of ``app`` begins and ends."""

    @app.before_request
    def begin_on_the_primary() -> None:
        reset()

    @app.teardown_request
    def forget_the_routing(_error: BaseException | None) -> None:
        reset()


def replica_views(app: Flask) -> list[str]:
    """The operations of ``app`` marked ``@reads_from_replica``, as ``"GET /api/v1/shifts"``."""
    return sorted(_marked(app))


def _marked(app: Flask) -> Iterator[str]:
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            function = getattr(view_class, method.lower(), None) if view_class else view
            if getattr(function, "_reads_from_replica", False):
                yield f"{method} {rule.rule}"
