"""The desk's sessions, kept on the server: the browser holds only a random id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime
from marketplace.extensions import Model


class DeskSession(Model):
    """A desk session; only the SHA-256 of its id is stored, so a database dump opens none.

    A signed-in session lives while the access token it was opened with does (signing out,
    ``flask users revoke-tokens`` and the token's expiry end it), at most until ``expires_at``,
    and only while a page was asked for within the idle timeout (``last_seen_at``). A session
    with no token is a visitor's that carries a notice to show (after signing out).
    """

    __tablename__ = "desk_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("access_tokens.id", ondelete="CASCADE"), index=True
    )
    # What Flask's session holds besides the CSRF secret (derived from the id, never stored):
    # the notices (flashes) waiting for the next page.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
