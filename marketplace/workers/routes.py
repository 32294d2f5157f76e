"""HTTP endpoints of a worker's own profile.

Reading another worker (``GET /workers/{id}``) is in ``bookings.routes``: who may see a worker
depends on the bookings (an employer sees the workers booked on its shifts).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.workers import services
from marketplace.workers.schemas import WorkerProfileInSchema, WorkerSchema

blp = Blueprint("workers", __name__, url_prefix="/api/v1/workers", description="Worker profiles")


@blp.route("/me")
class MyProfile(MethodView):
    """The caller's worker profile."""

    @auth_required("worker")
    @blp.response(200, WorkerSchema)
    @blp.errors(404)
    def get(self):
        """Read my worker profile (404 until the first PUT)."""
        return services.own_view(services.my_profile(current_user()))

    @auth_required("worker")
    @blp.arguments(WorkerProfileInSchema)
    @blp.response(200, WorkerSchema)
    @blp.errors(409)
    def put(self, body: dict[str, Any]):
        """Create or replace my worker profile."""
        return services.own_view(services.put_profile(current_user(), body))
