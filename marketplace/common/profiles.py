"""The one-profile-per-account pattern shared by workers, employers and brokers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from marketplace.database import prebuilt
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db
from marketplace.i18n import N_

P = TypeVar("P")

# What the API says of each kind of profile: whole msgids, so that each translates as a phrase.
_NAMES = {
    "worker": N_("worker profile"),
    "employer": N_("employer profile"),
    "broker": N_("broker profile"),
}
_NEEDED = {
    "worker": N_("create your worker profile first (PUT %(path)s)"),
    "employer": N_("create your employer profile first (PUT %(path)s)"),
    "broker": N_("create your broker profile first (PUT %(path)s)"),
}


class Account(Protocol):
    """What a profile look-up needs of an account: its id."""

    @property
    def id(self) -> int:
        """The account's id."""
        ...


@prebuilt
def _profile_of_user(model: Any, joined: tuple[str, ...], lock: bool) -> Select[Any]:
    # Most requests look a profile up: the user is bound when it runs.
    query = select(model).where(model.user_id == bindparam("user_id"))
    query = query.options(*(joinedload(getattr(model, name)) for name in joined))
    return query.with_for_update(of=model) if lock else query


class Profiles(Generic[P]):
    """Look-ups of the profile an account owns (``model`` has a unique ``user_id``).

    ``kind`` is one of ``_NAMES``' (the messages name it).
    """

    def __init__(self, model: type[P], kind: str, path: str, joined: Sequence[str] = ()) -> None:
        assert kind in _NAMES, kind
        self.model: Any = model
        self.kind = kind
        self.path = path
        # Relationships that callers read of nearly every profile (a worker's skills), loaded
        # in the profile's own query rather than by a second one.
        self.joined = tuple(joined)

    def of(self, user: Account, *, lock: bool = False) -> P | None:
        """The profile of ``user``, if it has one; ``lock``: its row locked for this transaction.

        The lock is PostgreSQL's FOR UPDATE (SQLite's writing transaction holds its own lock).
        """
        query = _profile_of_user(self.model, self.joined, lock)
        return db.session.execute(query, {"user_id": user.id}).unique().scalar_one_or_none()

    def id_of(self, user: Account) -> int | None:
        """The id of ``user``'s profile, if it has one (without loading the profile)."""
        return db.session.scalar(select(self.model.id).where(self.model.user_id == user.id))

    def mine(self, user: Account) -> P:
        """The caller's own profile; 404 until the first PUT."""
        profile = self.of(user)
        if profile is None:
            raise NotFound(_NAMES[self.kind])
        return profile

    def required(self, user: Account, *, lock: bool = False) -> P:
        """The caller's profile, or 409: the action needs a profile first."""
        profile = self.of(user, lock=lock)
        if profile is None:
            raise Conflict(_NEEDED[self.kind], path=self.path)
        return profile
