"""HTTP endpoints of matching."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.auth.guards import auth_required, current_user
from marketplace.common.api import Blueprint, dumped
from marketplace.matching import services
from marketplace.matching.schemas import (
    AssignmentRequestSchema,
    AssignmentResultSchema,
    CandidateSchema,
    ComponentsSchema,
    LimitSchema,
    RecommendedShiftSchema,
)

blp = Blueprint("matching", __name__, url_prefix="/api/v1", description="Matching")


class _Recommended:
    """A recommended shift: the shift's fields and the match's."""

    def __init__(self, shift: Any, match: services.Ranked) -> None:
        from marketplace.jobs.search import ShiftView

        self._shift = ShiftView(shift, match.distance_km)
        self.shift_id = match.shift_id
        self.score = match.score
        self.components = match.components

    def __getattr__(self, name: str) -> Any:
        return getattr(self._shift, name)


_COMPONENTS = tuple(ComponentsSchema().fields)


def candidate_item(match: services.Ranked) -> dict[str, Any]:
    """A candidate exactly as ``CandidateSchema`` dumps it (a test holds the two equal)."""
    return {
        "worker_id": match.worker_id,
        "score": match.score,
        "distance_km": match.distance_km,
        "components": {
            name: float(match.components[name]) for name in _COMPONENTS if name in match.components
        },
    }


@blp.route("/shifts/<int:shift_id>/candidates")
class Candidates(MethodView):
    """Ranked workers for a shift."""

    @auth_required("employer", "broker", "admin")
    @blp.arguments(LimitSchema, location="query")
    @blp.response(200, CandidateSchema(many=True))
    @blp.errors(404)
    def get(self, query: dict[str, Any], shift_id: int):
        """Rank the workers who can take the shift, best first."""
        found = services.candidates(current_user(), shift_id, query["limit"])
        return dumped([candidate_item(match) for match in found])


@blp.route("/workers/me/recommended-shifts")
class RecommendedShifts(MethodView):
    """Shifts for me."""

    @auth_required("worker")
    @blp.arguments(LimitSchema, location="query")
    @blp.response(200, RecommendedShiftSchema(many=True))
    @blp.errors(404)
    def get(self, query: dict[str, Any]):
        """Rank the open shifts I can take, best first."""
        found = services.recommended_shifts(current_user(), query["limit"])
        return [_Recommended(shift, match) for shift, match in found]


@blp.route("/matching/assignments")
class Assignments(MethodView):
    """Filling many shifts at once."""

    @auth_required("employer", "broker", "admin")
    @blp.arguments(AssignmentRequestSchema)
    @blp.response(200, AssignmentResultSchema)
    def post(self, body: dict[str, Any]):
        """Fill the shifts optimally: most places, then the best total score; optionally book."""
        outcome = services.assign(current_user(), body["shift_ids"], body["commit"])
        return {
            "assignments": outcome.plan.assignments,
            "unfilled": {str(k): v for k, v in outcome.plan.unfilled.items()},
            "total_score": round(outcome.plan.total_score, 6),
            "exact": outcome.exact,
            "committed": outcome.committed,
            "not_booked": outcome.not_booked,
        }
