"""The words of disputes' and cases' states in refusals, translated with the message."""

from __future__ import annotations

from marketplace.errors import N_, Conflict

WORDS = {
    "open": N_("open"),
    "resolved": N_("resolved"),
    "escalated": N_("escalated"),
    "upheld": N_("upheld"),
    "dismissed": N_("dismissed"),
    "settled": N_("settled"),
}


class StateConflict(Conflict):
    """409 naming a dispute's or case's state, or a booking's, in the reader's language."""

    translated_params = ("status", "outcome")
