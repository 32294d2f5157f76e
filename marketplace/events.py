"""Domain events: how one domain tells others that something happened, without importing them.

The catalogue below is every event there is (Indico's ``core/signals`` keeps one the same way):
each names what its payload holds, who emits it and who listens. Handlers run synchronously
inside the emitting service call, so whatever they write joins the same transaction and commits
or rolls back with it. The audit log is not a listener: services write it directly, in the same
transaction as the change. ``tests/test_events.py`` fails when an event is emitted that nobody
listens to, listened to that nobody emits, or heard by other modules than its entry names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[..., None]


@dataclass(frozen=True, eq=False)
class Event:
    """One event of the catalogue: its name, what it means, and the modules that listen to it."""

    name: str
    doc: str
    listeners: tuple[str, ...]
    _handlers: list[Handler] = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        return f"Event({self.name!r})"


EARNING_RECORDED = Event(
    "earning_recorded",
    """A booking's hours were approved into an earning, or an adjustment of one was recorded.

    Payload: ``earning`` (an ``Earning``). Emitted by ``earnings.services.record_booking_earning``
    and ``earnings.services.record_adjustment``. Heard by ``subsidies.hooks``, which evaluates
    the worker at once.""",
    listeners=("marketplace.subsidies.hooks",),
)
EARNINGS_IMPORTED = Event(
    "earnings_imported",
    """Months of income from another channel were imported.

    Payload: ``worker_ids`` (the workers the records belong to). Emitted by
    ``earnings.imports``. Heard by ``subsidies.hooks``, which evaluates those workers.""",
    listeners=("marketplace.subsidies.hooks",),
)
CONTRIBUTIONS_IMPORTED = Event(
    "contributions_imported",
    """Months of social-insurance premiums were imported.

    Payload: ``worker_ids``. Emitted by ``earnings.imports``. Heard by ``subsidies.hooks``.""",
    listeners=("marketplace.subsidies.hooks",),
)
TRAINING_IMPORTED = Event(
    "training_imported",
    """Online training records were imported.

    Payload: ``worker_ids``. Emitted by ``earnings.imports``. Heard by ``subsidies.hooks``.""",
    listeners=("marketplace.subsidies.hooks",),
)
WORKER_GROUPS_CHANGED = Event(
    "worker_groups_changed",
    """A worker's group dates, flags or group statuses changed (失业登记, 就业困难, graduation …).

    Payload: ``worker`` (a ``Worker``) and ``changes`` (``{field: [old, new]}`` of the dates the
    rules read; empty when only a status's check changed). Emitted by
    ``workers.services.put_profile`` and by ``workers.group_statuses`` (an official verified,
    rejected or ended a status). Heard by ``subsidies.hooks``, which evaluates the worker.""",
    listeners=("marketplace.subsidies.hooks",),
)
SHIFTS_CANCELLED = Event(
    "shifts_cancelled",
    """Shifts of a job were cancelled (the job, or one shift of it).

    Payload: ``shifts`` (the ``Shift`` rows), ``actor`` (the ``User``) and ``reason`` (the
    employer's words, or None). Emitted by ``jobs.services.cancel_job`` and
    ``jobs.editing.cancel_shift``. Heard by ``bookings.services``, which cancels their live
    bookings and offers, gives their places back and tells their workers, and by
    ``bookings.waitlist``, which ends their waitlists and tells the waiting workers.""",
    listeners=("marketplace.bookings.services", "marketplace.bookings.waitlist"),
)
JOB_CHANGED = Event(
    "job_changed",
    """A job's title, description, address, skills or wage changed.

    Payload: ``job`` (the ``Job``) and ``changes`` (``{field: [old, new]}``). Emitted by
    ``jobs.editing.edit_job``. Heard by ``bookings.services``, which tells the workers booked on
    its future shifts what changed.""",
    listeners=("marketplace.bookings.services",),
)
PLACES_FREED = Event(
    "places_freed",
    """Places of a shift became free: a held place was given back (a cancel, a declined or
    lapsed offer, a no-show) or the headcount was raised. Not emitted when the shift itself is
    cancelled (``shifts_cancelled``): its places are free for nobody.

    Payload: ``shift_id``. Emitted, once the change is recorded, by ``bookings.services.cancel``,
    ``bookings.offers`` (decline, expiry), ``bookings.attendance`` (no-show) and
    ``jobs.editing.set_headcount``. Heard by ``bookings.waitlist``, which books the first waiting
    workers who can still take a place, in the same transaction.""",
    listeners=("marketplace.bookings.waitlist",),
)
ALERTS_RESOLVED = Event(
    "alerts_resolved",
    """Alerts were resolved by what they asked for: the wages paid, the hours approved.

    Payload: ``alerts`` (the ``Alert`` rows) and ``reason`` (Chinese: what happened). Emitted by
    ``earnings.pay.approve`` and ``earnings.pay.mark_paid``. Heard by ``disputes.cases``, which
    settles the open cases of those alerts.""",
    listeners=("marketplace.disputes.cases",),
)

CATALOGUE: tuple[Event, ...] = (
    EARNING_RECORDED,
    EARNINGS_IMPORTED,
    CONTRIBUTIONS_IMPORTED,
    TRAINING_IMPORTED,
    WORKER_GROUPS_CHANGED,
    SHIFTS_CANCELLED,
    JOB_CHANGED,
    PLACES_FREED,
    ALERTS_RESOLVED,
)


def subscribe(event: Event) -> Callable[[Handler], Handler]:
    """Register the decorated function to run whenever ``event`` is emitted."""

    def register(handler: Handler) -> Handler:
        if handler not in event._handlers:
            event._handlers.append(handler)
        return handler

    return register


def unsubscribe(event: Event, handler: Handler) -> None:
    """Stop running ``handler`` for ``event`` (tests that listened for a while)."""
    event._handlers.remove(handler)


def emit(event: Event, **payload: Any) -> None:
    """Run every handler of ``event`` with ``payload``, in the order they subscribed."""
    for handler in list(event._handlers):
        handler(**payload)


def handlers(event: Event) -> tuple[Handler, ...]:
    """The handlers of ``event`` (for tests and diagnostics)."""
    return tuple(event._handlers)
