"""HTTP endpoints of matching."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common.api import Blueprint, dumped
from marketplace.common.guards import auth_required, current_user
from marketplace.jobs.search import ShiftView
from marketplace.matching import plans, services
from marketplace.matching.ranking import Ranked
from marketplace.matching.schemas import (
    ASSIGNMENT_EXAMPLE,
    AssignmentRequestSchema,
    AssignmentResultSchema,
    CandidateSchema,
    ComponentsSchema,
    LimitSchema,
    RecommendedShiftSchema,
)
from marketplace.replicas import reads_from_replica

blp = Blueprint("matching", __name__, url_prefix="/api/v1", description="Matching")


class _Recommended(ShiftView):
    """A recommended shift: the shift's fields (copied once, as ``ShiftView`` does) and the
    match's."""

    def __init__(self, shift: Any, match: Ranked) -> None:
        super().__init__(shift, match.distance_km)
        self.shift_id = match.shift_id
        self.score = match.score
        self.components = match.components


_COMPONENTS = tuple(ComponentsSchema().fields)
# The roles that see a candidate as the shift's employer does (coarse, without the priority).
EMPLOYER_SIDE = ("employer", "broker")


def per_page_or_limit(paging: PaginationParameters, query: dict[str, Any]) -> PaginationParameters:
    """The page asked for: ``per_page``, or v1's ``limit`` when only that was given."""
    if "limit" in query and "per_page" not in request.args:
        paging.page_size = query["limit"]
    return paging


def candidate_item(
    match: Ranked, rank: int, employer_side: bool, person: dict[str, Any]
) -> dict[str, Any]:
    """A candidate exactly as ``CandidateSchema`` dumps it (a test holds the two equal).

    The employer's side sees ``match.to_employer``; admins see the exact match. ``person`` is
    who the worker is (``bookings.people``).
    """
    seen = match.to_employer if employer_side else match
    return {
        **person,
        "worker_id": match.worker_id,
        "rank": rank,
        "score": seen.score,
        "distance_km": seen.distance_km,
        "components": {
            name: float(seen.components[name]) for name in _COMPONENTS if name in seen.components
        },
    }


@blp.route("/shifts/<int:shift_id>/candidates")
class Candidates(MethodView):
    """Ranked workers for a shift."""

    @auth_required("employer", "broker", "admin")
    @blp.arguments(LimitSchema, location="query")
    @blp.response(200, CandidateSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(
        self, query: dict[str, Any], shift_id: int, pagination_parameters: PaginationParameters
    ):
        """Rank the workers who can take the shift, best first.

        The shift's employer, a broker it delegated to, or an admin (403 for every other role,
        and for another company's employer or broker). Candidates are the workers of the
        shift's city who pass every hard rule — within their travel distance, with every
        required skill, available for the whole shift, free of overlapping bookings, within
        the part-time weekly limit — scored by distance, skills, reliability, rating and the
        subsidy policy's priority; at most the best 100, paged with ``page`` and ``per_page``
        (``limit`` is v1's name of ``per_page``). The shift's employer and brokers see each
        distance rounded up to the next 0.5 km (from the centre of the worker's
        half-kilometre square) and no ``priority`` component; the score they see leaves the
        priority out, while the order (``rank``) still applies it. The full name shows once the
        worker has a booking with the employer. 404: no such shift. 422: an invalid
        ``limit``, ``page`` or ``per_page``.
        """
        user = current_user()
        paging = per_page_or_limit(pagination_parameters, query)
        total, found = services.candidates(user, shift_id, paging.first_item, paging.page_size)
        paging.item_count = total
        people = services.people(user, [(match.worker_id, match.shift_id) for match in found])
        employer_side = user.role in EMPLOYER_SIDE
        return dumped(
            [
                candidate_item(match, rank, employer_side, person)
                for rank, match, person in zip(
                    range(paging.first_item + 1, paging.first_item + len(found) + 1),
                    found,
                    people,
                    strict=True,
                )
            ]
        )


@blp.route("/workers/me/recommended-shifts")
class RecommendedShifts(MethodView):
    """Shifts for me."""

    @auth_required("worker")
    @blp.arguments(LimitSchema, location="query")
    @blp.response(200, RecommendedShiftSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    @reads_from_replica
    def get(self, query: dict[str, Any], pagination_parameters: PaginationParameters):
        """Rank the open shifts I can take, best first.

        Workers only (403 for every other role). Open shifts of the worker's city within their
        travel distance, with a free place, whose required skills they have and that they do
        not already hold, that pass every rule of matching (availability, overlaps, the
        part-time weekly limit); each with its job's details, the score, its components and the
        distance. Paged with ``page`` and ``per_page`` (``limit`` is v1's name of
        ``per_page``). 404: the worker has no profile yet. 422: an invalid ``limit``, ``page``
        or ``per_page``.
        """
        paging = per_page_or_limit(pagination_parameters, query)
        found = services.recommended_shifts(current_user())
        paging.item_count = len(found)
        page = found[paging.first_item : paging.first_item + paging.page_size]
        return [_Recommended(shift, match) for shift, match in page]


@blp.route("/matching/assignments")
class Assignments(MethodView):
    """Filling many shifts at once."""

    @auth_required("employer", "broker", "admin")
    @blp.arguments(AssignmentRequestSchema, example=ASSIGNMENT_EXAMPLE)
    @blp.response(200, AssignmentResultSchema)
    def post(self, body: dict[str, Any]):
        """Fill the shifts optimally: most places, then the best total score; optionally offer.

        The shifts' employer, a broker it delegated to, or an admin (403 for every other role,
        and when any shift is another company's). The free places of the shifts that are open
        (not cancelled, not started) are filled from the candidates each would have. A worker
        may take several places of one plan, on shifts that do not overlap, within the
        part-time weekly limit and its availability (contract v1.1; v1 gave each worker one).
        The plan is solved as a mixed-integer program (HiGHS) within ``time_limit_s``;
        ``optimal`` says whether it proved it, ``exact`` whether long candidate lists were cut
        first, and ``unfilled`` counts the places left per shift. Without ``commit`` nothing
        changes. With ``commit`` each planned place is offered to its worker (an ``offered``
        booking, holding the place, that the worker accepts or declines; it lapses after 24 h
        or 2 h before the start); places that could not be offered are listed in
        ``not_booked`` with the reason. The shift's employer and brokers see the scores without
        the priority component. 422: a shift id that names no shift (listed), no shift ids or
        more than 5000, or ``time_limit_s`` outside 0.1–60.
        """
        user = current_user()
        outcome = plans.assign(user, body["shift_ids"], body["commit"], body["time_limit_s"])
        employer_side = user.role in EMPLOYER_SIDE
        shown = outcome.employer_scores() if employer_side else {}
        scores = [
            shown[edge.shift_id, edge.worker_id] if employer_side else edge.score
            for edge in outcome.plan.assignments
        ]
        people = services.people(
            user, [(edge.worker_id, edge.shift_id) for edge in outcome.plan.assignments]
        )
        assignments = [
            {
                **person,
                "shift_id": edge.shift_id,
                "worker_id": edge.worker_id,
                "score": score,
                "booking_id": outcome.offered.get((edge.shift_id, edge.worker_id)),
            }
            for edge, score, person in zip(outcome.plan.assignments, scores, people, strict=True)
        ]
        total = sum(scores) if employer_side else outcome.plan.total_score
        return {
            "assignments": assignments,
            "unfilled": {str(k): v for k, v in outcome.plan.unfilled.items()},
            "total_score": round(total, 6),
            "exact": outcome.exact,
            "optimal": outcome.plan.optimal,
            "committed": outcome.committed,
            "not_booked": outcome.not_booked,
        }
