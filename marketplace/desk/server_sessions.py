"""The desk's sessions live on the server; the browser's cookie holds only a random id.

Flask's default session is a cookie *signed*, not encrypted, with SECRET_KEY: whatever it holds
can be read by anyone who sees the cookie, and it cannot be withdrawn before it expires. Here the
cookie (``SESSION_COOKIE_NAME``, ``marketplace_desk``) holds 32 random bytes, URL-safe; the table
``desk_sessions`` keeps only their SHA-256, like access tokens. The cookie is ``HttpOnly``,
``SameSite=Lax`` and sent only to ``/desk``, and it is ``Secure`` when the request came over
HTTPS (``request.is_secure``) or ``SESSION_COOKIE_SECURE`` is set (production behind a TLS proxy
that does not tell the app).

A session ends

- when its official signs out: its row is deleted (and its access token revoked);
- after ``DESK_SESSION_IDLE_SECONDS`` (30 minutes) without a page (to the minute);
- when the access token it was opened with expires or is revoked (``flask users revoke-tokens``):
  the query that finds the session checks the token on every page, so the desk closes at once,
  and at the latest ``ACCESS_TOKEN_TTL_SECONDS`` after signing in, however busy.

Signing in always starts a new id, so an id planted in a browser before is worth nothing (no
session fixation). Ended sessions are dropped by the scheduled ``purge`` job.

Flask-WTF keeps its CSRF secret in ``session["csrf_token"]``. Here that secret is derived from
the session id (an HMAC under SECRET_KEY), put into the session when it is loaded and never
stored: a visitor's sign-in form costs no row — no anonymous request writes anything — and a new
id at sign-in is a new CSRF secret.

The row is written inside the request's one unit of work (``marketplace/database.py``): an
``after_request`` hook registered after ``database.init_app``'s runs before its commit, so a
request that fails (status 400 or more, or an exception) changes neither its data nor its
session. Flask-Session's SQLAlchemy backend would not do: it commits the app's ``db.session``
itself — in ``save_session``, after the request's commit point, and while *opening* a session
(it deletes an expired row there) — committing or breaking the request's unit of work; it
creates its table by itself, outside the migrations; it stores the session id as it is, not a
digest; and it knows one expiry, not an idle timeout, a lifetime and a token that must stay live.

Only ``/desk`` has a session. For every other path ``open_session`` answers a null session: a
request of the API (bearer tokens) reads no session, cannot write one (it raises), and is sent
no cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, NoReturn

from flask import Flask, Request, Response, current_app, g, request, session
from flask.sessions import NullSession, SessionInterface, SessionMixin
from sqlalchemy import Select, bindparam, delete, or_, select
from werkzeug.datastructures import CallbackDict

from marketplace import clock
from marketplace.auth.models import AccessToken, User
from marketplace.database import prebuilt
from marketplace.desk.models import DeskSession
from marketplace.extensions import db

DESK_PATH = "/desk"
STATIC_PATH = "/desk/static/"  # the stylesheet: no session, no database
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
# How stale ``last_seen_at`` may grow before a page moves it on. Writing it on every page made a
# page's commit a write (on PostgreSQL a WAL flush: about 7 ms of a 10 ms page); the idle timeout
# is then kept to the minute — a session may end up to a minute before 30 idle minutes.
TOUCH_INTERVAL = timedelta(minutes=1)


def new_id() -> str:
    """A fresh session id: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def id_hash(session_id: str) -> str:
    """What the table keeps of an id: its SHA-256 (a dump of the table opens no session)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _csrf_key() -> str:
    return str(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))


def csrf_secret(session_id: str) -> str:
    """The Flask-WTF secret of a session: an HMAC of its id, so nothing needs storing."""
    key = current_app.secret_key
    key_bytes = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key_bytes, b"desk-csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def _idle_timeout() -> timedelta:
    return timedelta(seconds=current_app.config["DESK_SESSION_IDLE_SECONDS"])


class NoSession(NullSession):
    """The session of every request outside the desk: empty, and writing to it is a bug."""

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(
            "only the desk (/desk/) has a session: the API authenticates each request with "
            "its bearer token and keeps nothing between requests"
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail
    del _fail


@prebuilt
def _find() -> Select[DeskSession, AccessToken, User]:
    # The session, its token and the token's user in one query: every desk page runs it.
    return (
        select(DeskSession, AccessToken, User)
        .outerjoin(AccessToken, AccessToken.id == DeskSession.access_token_id)
        .outerjoin(User, User.id == AccessToken.user_id)
        .where(DeskSession.id_hash == bindparam("id_hash"))
    )


def _live(row: DeskSession, token: AccessToken | None, user: User | None) -> bool:
    now = clock.now()
    if row.expires_at <= now or row.last_seen_at + _idle_timeout() <= now:
        return False
    if row.access_token_id is None:
        return True  # a visitor's notice, within its own lifetime
    return (
        token is not None
        and user is not None
        and token.revoked_at is None
        and token.expires_at > now
    )


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """One desk request's session: its data, who is signed in to it, and what to write back.

    Flask code uses it as the ``session`` dict (Flask-WTF's secret, ``flash``); the desk signs
    in and out through ``open`` and ``end``.
    """

    def __init__(self, cookie_id: str | None, stale_cookie: bool = False) -> None:
        def on_update(self: ServerSession) -> None:
            self.modified = True

        super().__init__(None, on_update)
        self.cookie_id = cookie_id  # the id the browser sent, when well formed
        self.stale_cookie = stale_cookie  # it sent something else (an older release's cookie)
        self.id = cookie_id or new_id()
        self.loaded = False
        self.modified = False
        self.row: DeskSession | None = None
        self.ended = False  # the row is an ended session's, to be dropped or taken over
        self.user: User | None = None
        self.access_token_id: int | None = None
        self.expires_at: datetime | None = None

    @property
    def signed_in(self) -> bool:
        """Whether an official or admin is signed in to this session."""
        return self.access_token_id is not None

    def load(self) -> None:
        """Find the live session the cookie names, and who is signed in to it.

        An id that names no live session is a visitor's, kept as it is: it may hold a sign-in
        form's CSRF token, or a form sent after the session ended, which then leads to the
        sign-in page and back rather than to an error. Signing in replaces it.
        """
        self.loaded = True
        if self.cookie_id is not None:
            found = db.session.execute(_find(), {"id_hash": id_hash(self.cookie_id)}).first()
            if found is not None:
                row, token, user = found
                self.row = row
                if _live(row, token, user):
                    self.user = user
                    self.access_token_id, self.expires_at = row.access_token_id, row.expires_at
                    self._fill(row.data)
                    return
                self.ended = True
        self._fill({})

    def _fill(self, data: dict[str, Any]) -> None:
        # Plain dict operations: filling is not a change to write back.
        dict.clear(self)
        dict.update(self, data)
        dict.__setitem__(self, _csrf_key(), csrf_secret(self.id))
        # g outlives a request when the caller holds the app context (the tests do): a CSRF token
        # Flask-WTF cached for another session must not be handed out for this one.
        g.pop(_csrf_key(), None)

    def open(self, user: User, access_token_id: int, expires_at: datetime) -> None:
        """Sign ``user`` in under a new id, bound to the access token just issued."""
        self._renew()
        self.user, self.access_token_id, self.expires_at = user, access_token_id, expires_at

    def end(self) -> None:
        """Sign out: this session's row goes, and a new, empty session takes its place."""
        self._renew()

    def _renew(self) -> None:
        if self.row is not None:  # live or ended: this id is done with
            db.session.delete(self.row)
            self.row = None
        self.ended = False
        self.id = new_id()
        self.user = self.access_token_id = self.expires_at = None
        self._fill({})
        self.modified = True

    def write(self) -> None:
        """Keep the session's row up to date, in the request's transaction (flushed, not committed).

        A signed-in session is stored and its ``last_seen_at`` moved on (once a minute at most:
        a page that changes nothing then commits no write); a visitor's only while
        it holds something (a notice). A row that holds nothing any more, or whose session has
        ended, is deleted — or taken over afresh when the same id needs one again.
        """
        now = clock.now()
        data = {key: value for key, value in self.items() if key != _csrf_key()}
        if not self.signed_in and not data:
            if self.row is not None:
                db.session.delete(self.row)
                self.row = None
            return
        fresh = self.row is None or self.ended
        if self.row is None:
            self.row = DeskSession(id_hash=id_hash(self.id))
            db.session.add(self.row)
        if fresh:
            self.row.access_token_id = self.access_token_id
            self.row.created_at = now
            self.row.expires_at = self.expires_at or now + _idle_timeout()
            self.ended = False
        if fresh or now - self.row.last_seen_at >= TOUCH_INTERVAL:
            self.row.last_seen_at = now
        if fresh or self.modified:
            self.row.data = data
        db.session.flush()

    def send_cookie(self, response: Response) -> None:
        """Give the browser the session's id when it does not have it yet."""
        name = current_app.config["SESSION_COOKIE_NAME"]
        if self.stale_cookie:
            # An older release's signed cookie, sent for the whole site: gone with the answer.
            response.delete_cookie(name, path="/")
        if self.id != self.cookie_id:
            response.set_cookie(
                name,
                self.id,
                path=DESK_PATH,
                secure=request.is_secure or bool(current_app.config["SESSION_COOKIE_SECURE"]),
                httponly=True,
                samesite="Lax",
            )
        response.vary.add("Cookie")


def _desk_path(path: str) -> bool:
    return (path == DESK_PATH or path.startswith(DESK_PATH + "/")) and not path.startswith(
        STATIC_PATH
    )


class DeskSessionInterface(SessionInterface):
    """Flask's session for the desk's pages, kept on the server; none anywhere else."""

    null_session_class = NoSession

    def open_session(self, app: Flask, request: Request) -> ServerSession | None:
        """A desk request's session, loaded later (``load_desk_session``); None elsewhere.

        Nothing is read here: the request's transaction must not begin before the request has
        said whether it writes (``database.declare_write_intent``, a ``before_request``).
        """
        if not _desk_path(request.path):
            return None
        offered = request.cookies.getlist(self.get_cookie_name(app))
        ids = [value for value in offered if _WELL_FORMED_ID.fullmatch(value)]
        return ServerSession(ids[0] if ids else None, stale_cookie=len(ids) < len(offered))

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing: ``persist_desk_session`` wrote the session before the request's commit."""


def this_request() -> ServerSession | None:
    """The desk session of the current request, once loaded; None outside the desk."""
    found = session._get_current_object()  # type: ignore[attr-defined]
    return found if isinstance(found, ServerSession) and found.loaded else None


def _dispatched_to_a_page() -> bool:
    # A view of the desk ran (not a redirect to add a slash, not an unknown page): only those
    # declare their write intent, which a session write needs on SQLite.
    return request.url_rule is not None and request.blueprint == "desk"


def init_app(app: Flask) -> None:
    """Serve the desk's sessions from the database; call after ``database.init_app``.

    The order matters: ``before_request`` functions run in the order they were registered, so
    the session is loaded after the request has declared its write intent; ``after_request``
    functions run in reverse, so the session is written before the request's commit.
    """
    app.session_interface = DeskSessionInterface()

    @app.before_request
    def load_desk_session() -> None:
        found = session._get_current_object()  # type: ignore[attr-defined]
        if isinstance(found, ServerSession) and not found.loaded:
            found.load()

    @app.after_request
    def persist_desk_session(response: Response) -> Response:
        desk = this_request()
        if desk is not None:
            if response.status_code < 400 and _dispatched_to_a_page():
                desk.write()
            desk.send_cookie(response)
        return response


def purge_ended() -> int:
    """Drop the sessions that have ended (idle, past their lifetime, their token dead)."""
    now = clock.now()
    dead_tokens = select(AccessToken.id).where(
        or_(AccessToken.revoked_at.is_not(None), AccessToken.expires_at <= now)
    )
    result = db.session.execute(
        delete(DeskSession)
        .where(
            or_(
                DeskSession.expires_at <= now,
                DeskSession.last_seen_at <= now - _idle_timeout(),
                DeskSession.access_token_id.in_(dead_tokens),
            )
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
