"""The one-profile-per-account pattern shared by workers, employers and brokers."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db

P = TypeVar("P")


class Profiles(Generic[P]):
    """Look-ups of the profile an account owns (``model`` has a unique ``user_id``)."""

    def __init__(self, model: type[P], kind: str, path: str) -> None:
        self.model: Any = model
        self.kind = kind
        self.path = path

    def of(self, user: User) -> P | None:
        """The profile of ``user``, if it has one."""
        return db.session.scalar(select(self.model).where(self.model.user_id == user.id))

    def mine(self, user: User) -> P:
        """The caller's own profile; 404 until the first PUT."""
        profile = self.of(user)
        if profile is None:
            raise NotFound(f"{self.kind} profile")
        return profile

    def required(self, user: User) -> P:
        """The caller's profile, or 409: the action needs a profile first."""
        profile = self.of(user)
        if profile is None:
            raise Conflict(f"create your {self.kind} profile first (PUT {self.path})")
        return profile
