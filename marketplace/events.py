"""Domain events: how one domain tells others that something happened, without importing them.

Handlers run synchronously inside the emitting service call, so whatever they write joins the
same transaction and commits or rolls back with it. The subsidy hooks and the audit log listen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]

# Events that cross domains. Payloads are keyword arguments, named in each comment.
EARNING_RECORDED = "earning_recorded"  # earning: Earning — a booking was approved and paid out
EARNING_PAID = "earning_paid"  # earning: Earning
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    """Register the decorated function to run whenever ``event`` is emitted."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[event]:
            _handlers[event].append(handler)
        return handler

    return register


def emit(event: str, **payload: Any) -> None:
    """Run every handler of ``event`` with ``payload``, in the order they subscribed."""
    for handler in list(_handlers[event]):
        handler(**payload)


def handlers(event: str) -> tuple[Handler, ...]:
    """The handlers of ``event`` (for tests and diagnostics)."""
    return tuple(_handlers[event])
