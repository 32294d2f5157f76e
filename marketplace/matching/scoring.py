"""The matching score: a weighted sum of components, each in [0, 1].

``distance`` (1 at the worker's door, 0 at the edge of their reach), ``skills`` (the share of
the job's skill tags the worker has — its required skills, which every candidate has, and its
category's), ``reliability``, ``rating`` (1–5 stars mapped to 0–1), ``priority`` (POLICIES.md
"Matching priority") and ``favourite`` (1 when the shift's employer keeps the worker among its
favourites, else 0: contract v1.1 "Repeat work"). Unknown reliability and rating count as
neutral, 0.5, so that newcomers are not buried. ``priority``'s weight comes from the city's
policy, ``favourite``'s from the ``FAVOURITE_WEIGHT`` setting (0.10 by default); the other four
share the rest in the proportions of the ``MATCHING_WEIGHTS`` setting.

A worker's own recommendations add ``runway`` (``with_runway``): how much of the income the
worker still needs this month to reach the next threshold of a subsidy (``subsidies.progress``)
the shift's pay covers. Its weight is the policy's ``matching_runway_weight`` (read with the
priority's terms); the score becomes ``(1 - w) × score + w × runway``, so it stays in [0, 1].
Candidates (the employer's side, and admins) never have it: see ``with_runway``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from flask import current_app

from marketplace.subsidies.rules import priority

COMPONENTS = ("distance", "skills", "reliability", "rating", "priority", "favourite")
NEUTRAL = 0.5
DEFAULT_WEIGHTS = {"distance": 0.40, "skills": 0.15, "reliability": 0.25, "rating": 0.20}
DEFAULT_FAVOURITE_WEIGHT = 0.10

Vector = npt.NDArray[np.float64]
Months = npt.NDArray[np.integer[Any]]  # month indexes (int32 in a pool)


@dataclass(frozen=True)
class Weights:
    """The weight of each component; they add up to 1."""

    distance: float
    skills: float
    reliability: float
    rating: float
    priority: float
    favourite: float
    # Not a weight: how long a graduate has the priority, from the same policy (months).
    graduate_window_months: int
    # Not one of the candidates' weights: ``runway``'s in a worker's own recommendations.
    runway: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """The weights by component name."""
        return {name: getattr(self, name) for name in COMPONENTS}


def weights_for(city: str, day: date) -> Weights:
    """The weights in force in ``city`` on ``day``."""
    configured: Mapping[str, float] = current_app.config.get("MATCHING_WEIGHTS", DEFAULT_WEIGHTS)
    policy = priority.terms(city, day)
    share = float(policy.weight)
    favourite = float(current_app.config.get("FAVOURITE_WEIGHT", DEFAULT_FAVOURITE_WEIGHT))
    total = sum(configured[name] for name in DEFAULT_WEIGHTS)
    scale = (1 - share - favourite) / total
    return Weights(
        **{name: configured[name] * scale for name in DEFAULT_WEIGHTS},
        priority=share,
        favourite=favourite,
        graduate_window_months=policy.graduate_window_months,
        runway=float(policy.runway_weight),
    )


def month_index(day: date | None) -> int:
    """A month as a number (year × 12 + month − 1); None as a month never reached.

    A start of None is never reached (not in the group); an end of None never comes (it holds on).
    """
    return day.year * 12 + day.month - 1 if day is not None else 10**9


@dataclass(frozen=True)
class GroupMonths:
    """Per group, the month indexes from which and through which each worker's status holds."""

    difficulty: tuple[Months, Months]
    unemployed: tuple[Months, Months]
    graduate: tuple[Months, Months]

    def at(self, index: npt.NDArray[np.intp]) -> GroupMonths:
        """The same months for the workers at ``index``."""
        return GroupMonths(
            *(
                (starts[index], ends[index])
                for starts, ends in (self.difficulty, self.unemployed, self.graduate)
            )
        )


def priority_vector(groups: GroupMonths, as_of: date, graduate_window_months: int) -> Vector:
    """``priority`` for many workers at once, from the months their group statuses hold.

    The same rule as ``marketplace.subsidies.rules.priority.priority`` (a test holds them equal).
    """
    month = month_index(as_of)

    def holds(months: tuple[Months, Months]) -> npt.NDArray[Any]:
        starts, ends = months
        return (starts <= month) & (month <= ends)

    graduates = groups.graduate[0]
    graduate_recent = holds(groups.graduate) & (month <= graduates + graduate_window_months)
    return np.where(
        holds(groups.difficulty),
        float(priority.DIFFICULTY),
        np.where(
            holds(groups.unemployed) | graduate_recent,
            float(priority.UNEMPLOYED_OR_GRADUATE),
            0.0,
        ),
    )


def distance_component(distance_km: Vector, reach_km: Vector) -> Vector:
    """1 at the worker's door, falling linearly to 0 at the edge of their reach."""
    return np.clip(1.0 - distance_km / reach_km, 0.0, 1.0)


def rating_component(stars: Vector) -> Vector:
    """Mean stars 1–5 as 0–1; unknown (NaN) as neutral."""
    return np.where(np.isnan(stars), NEUTRAL, (stars - 1.0) / 4.0)


def reliability_component(reliability: Vector) -> Vector:
    """Reliability as it is; unknown (NaN) as neutral."""
    return np.where(np.isnan(reliability), NEUTRAL, reliability)


def total(components: Mapping[str, Vector], weights: Weights) -> Vector:
    """The weighted sum of the components."""
    return sum(
        (components[name] * getattr(weights, name) for name in COMPONENTS),
        np.zeros_like(components["distance"]),
    )


# What employers see of a candidate (API.md v1.1 "Where a worker lives"): not the priority,
# which would tell them that a worker is registered unemployed or certified 就业困难 — the very
# people the policy protects — and a distance no finer than the coarse one.
EMPLOYER_COMPONENTS = tuple(name for name in COMPONENTS if name != "priority")


def employer_view(
    components: Mapping[str, Vector], coarse_km: Vector, reach_km: Vector, weights: Weights
) -> tuple[dict[str, Vector], Vector]:
    """The components and score an employer sees: distance from ``coarse_km``, no priority.

    The ranking itself still applies every component exactly; only what is shown is coarser.
    """
    shown = {name: components[name] for name in EMPLOYER_COMPONENTS}
    shown["distance"] = distance_component(coarse_km, reach_km)
    score = sum(
        (shown[name] * getattr(weights, name) for name in EMPLOYER_COMPONENTS),
        np.zeros_like(coarse_km),
    )
    return shown, score


# The worker's own view adds ``runway``; nobody else's ever does.
WORKER_COMPONENTS = (*COMPONENTS, "runway")


def runway_component(pay: Decimal, gap: Decimal | None) -> float:
    """The share of ``gap`` (income still needed in the shift's month) that ``pay`` covers.

    1.0 when the shift's pay closes the gap, less in proportion, 0 when no threshold is pending
    in the shift's month (``gap`` None or not above zero).
    """
    if gap is None or gap <= 0:
        return 0.0
    return float(min(pay / gap, Decimal(1)))


def with_runway(score: float, runway: float, weights: Weights) -> float:
    """A worker's own score: the candidates' score with ``runway`` weighed in.

    Only ``matching.services.recommended_shifts`` calls this. ``runway`` says how far a worker's
    income this month is from a subsidy's threshold: shown to an employer (a candidate's
    component or a share of its score) it would reveal the worker's income and that they are
    registered unemployed or 就业困难 — so candidates are scored without it, exactly as before.
    """
    return (1 - weights.runway) * score + weights.runway * runway
