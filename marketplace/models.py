"""The one place that imports every model, so that Alembic and the mappers see them all."""

from __future__ import annotations


def import_all() -> None:
    """Import every domain's models (idempotent)."""
    from marketplace.auth import models as auth_models  # noqa: F401
