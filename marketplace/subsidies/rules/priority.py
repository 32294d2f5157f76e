"""The ``priority`` component of the matching score (POLICIES.md "Matching priority").

The documents ask platforms to favour 就业困难人员, registered unemployed people and
graduates within two years (无锡 article 二; 西宁 article 2: 优先吸纳就业困难人员和高校毕业生).
The component is in [0, 1]; its weight in the score is the policy parameter
``matching_priority_weight``, and how long a graduate keeps it ``matching_graduate_window_months``.
The same terms carry ``matching_runway_weight``, the weight of the ``runway`` component of a
worker's own recommendations (``matching.scoring.with_runway``).

``priority`` is the rule. Matching applies it to many workers at once, as arrays
(``matching.scoring.priority_vector``) and in SQL (``matching.topk``); a table-driven test holds
both equal to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from marketplace.common.months import Month
from marketplace.subsidies.policy import versions
from marketplace.subsidies.rules.facts import WorkerFacts

DIFFICULTY = Decimal("1.0")
UNEMPLOYED_OR_GRADUATE = Decimal("0.5")
NONE = Decimal("0")


@dataclass(frozen=True)
class Terms:
    """What a city's policy in force says of the priority: its weight, the graduates' window."""

    weight: Decimal
    # "A graduate within G+24": the months G … G+24 (POLICIES.md "Month arithmetic").
    graduate_window_months: int
    # The weight of ``runway`` in a worker's own recommendations (``matching_runway_weight``).
    runway_weight: Decimal = Decimal("0.10")


# POLICIES.md: when no policy of the city is in force, a weight of 0.10 and G+24; the runway's
# 0.10 also stands for a stored version older than its parameter (an optional one).
DEFAULT_TERMS = Terms(Decimal("0.10"), 24, Decimal("0.10"))


def priority(facts: WorkerFacts, as_of: date, graduate_window_months: int) -> Decimal:
    """1.0 for *difficulty*, 0.5 for *unemployed* or a *graduate* within the window, else 0.

    A group counts in the months its status holds: from the month of its start through the month
    of its end, if an official ended it (a rejected status never holds). The graduate's window is
    the policy's ``matching_graduate_window_months`` (24: G … G+24).
    """
    month = Month.of(as_of)
    if facts.holds("difficulty", month):
        return DIFFICULTY
    if facts.holds("unemployed", month):
        return UNEMPLOYED_OR_GRADUATE
    graduated = facts.graduated_on
    if (
        graduated is not None
        and facts.holds("graduate", month)
        and month <= Month.of(graduated) + graduate_window_months
    ):
        return UNEMPLOYED_OR_GRADUATE
    return NONE


def terms(city: str, day: date) -> Terms:
    """The priority's terms in ``city`` on ``day``: the newest policy in force's, or the default.

    The policies are their published versions, read from the database (one small query).
    """
    in_force = [policy for policy in versions.published(city) if policy.in_force_on(day)]
    if not in_force:
        return DEFAULT_TERMS
    policy = in_force[-1]
    weight = policy.parameter("matching_priority_weight").at(day)
    window = policy.parameter("matching_graduate_window_months").at(day)
    assert isinstance(weight, Decimal) and isinstance(window, int)  # the loader checks units
    runway = DEFAULT_TERMS.runway_weight
    if any(parameter.name == "matching_runway_weight" for parameter in policy.parameters):
        found = policy.parameter("matching_runway_weight").at(day)
        assert isinstance(found, Decimal)
        runway = found
    return Terms(weight, window, runway)
