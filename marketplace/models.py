"""The one place that imports every model, so that Alembic and the mappers see them all."""

from __future__ import annotations


def import_all() -> None:
    """Import every domain's models (idempotent)."""
    from marketplace.audit import models as audit_models  # noqa: F401
    from marketplace.auth import models as auth_models  # noqa: F401
    from marketplace.bookings import models as booking_models  # noqa: F401
    from marketplace.brokers import models as broker_models  # noqa: F401
    from marketplace.cities import models as city_models  # noqa: F401
    from marketplace.common import idempotency  # noqa: F401
    from marketplace.desk import models as desk_models  # noqa: F401
    from marketplace.disputes import models as dispute_models  # noqa: F401
    from marketplace.earnings import models as earning_models  # noqa: F401
    from marketplace.employers import models as employer_models  # noqa: F401
    from marketplace.jobs import models as job_models  # noqa: F401
    from marketplace.notifications import models as notification_models  # noqa: F401
    from marketplace.subsidies import models as subsidy_models  # noqa: F401
    from marketplace.workers import models as worker_models  # noqa: F401
