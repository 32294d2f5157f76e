"""Extension singletons, bound to an app in ``create_app`` (none needs an app at import time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from marketplace.errors import Api
from marketplace.replicas import RoutingSession

# The same constraint names on SQLite and PostgreSQL, so migrations can name what they drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The session routes a marked request's reads to the replica, when there is one (replicas.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})

# Models derive from `Model`; type checkers see the typed declarative base behind db.Model.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
api = Api()
