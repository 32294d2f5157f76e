"""The ``priority`` component of the matching score (POLICIES.md "Matching priority").

The documents ask platforms to favour 就业困难人员, registered unemployed people and
graduates within two years (无锡 article 二; 西宁 article 2: 优先吸纳就业困难人员和高校毕业生).
The component is in [0, 1]; its weight in the score is the policy parameter
``matching_priority_weight``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marketplace.common.months import Month
from marketplace.subsidies.policy.catalogue import policies_for_city
from marketplace.subsidies.rules.facts import WorkerFacts

DIFFICULTY = Decimal("1.0")
UNEMPLOYED_OR_GRADUATE = Decimal("0.5")
NONE = Decimal("0")
# "A graduate within G+24": the months G … G+24 (POLICIES.md "Month arithmetic").
GRADUATE_WINDOW_MONTHS = 24
# POLICIES.md: 0.10 by default, when no policy of the city in force names a weight.
DEFAULT_WEIGHT = Decimal("0.10")


def _counts(day: date | None, month: Month) -> bool:
    # A group counts from the month of its date onward.
    return day is not None and Month.of(day) <= month


def priority(facts: WorkerFacts, as_of: date) -> Decimal:
    """1.0 for *difficulty*, 0.5 for *unemployed* or a *graduate* within G+24, else 0."""
    month = Month.of(as_of)
    if _counts(facts.difficulty_certified_on, month):
        return DIFFICULTY
    if _counts(facts.unemployment_registered_on, month):
        return UNEMPLOYED_OR_GRADUATE
    graduated = facts.graduated_on
    if graduated is not None and Month.of(graduated) <= month <= (
        Month.of(graduated) + GRADUATE_WINDOW_MONTHS
    ):
        return UNEMPLOYED_OR_GRADUATE
    return NONE


def priority_weight(city: str, day: date) -> Decimal:
    """The weight of ``priority`` in the matching score of ``city`` on ``day``.

    Taken from the newest policy of the city in force on ``day``; DEFAULT_WEIGHT when none is.
    """
    in_force = [policy for policy in policies_for_city(city) if policy.in_force_on(day)]
    if not in_force:
        return DEFAULT_WEIGHT
    weight = in_force[-1].parameter("matching_priority_weight").at(day)
    assert isinstance(weight, Decimal)  # the loader checks the unit "share"
    return weight
