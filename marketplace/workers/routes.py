"""HTTP endpoints of worker profiles."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.database import writes_on_read
from marketplace.workers import services
from marketplace.workers.schemas import RevealQuerySchema, WorkerProfileInSchema, WorkerSchema

blp = Blueprint("workers", __name__, url_prefix="/api/v1/workers", description="Worker profiles")

LIMITED_FIELDS = ("id", "name", "skills", "rating", "reliability")


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


@blp.route("/<int:worker_id>")
class WorkerById(MethodView):
    """One worker, as far as the caller may see it."""

    @auth_required()
    @writes_on_read
    @blp.arguments(RevealQuerySchema, location="query")
    @blp.response(200, WorkerSchema)
    @blp.errors(403, 404)
    def get(self, query: dict[str, Any], worker_id: int):
        """Read a worker: itself, an official of its city, admin, or an employer it works for.

        ``?reveal=id_number&reason=…`` shows an official of the worker's city the full ID number
        and records that, with the reason, in the audit log; for anyone else it is 403.
        """
        user = current_user()
        worker, limited = services.visible_worker(user, worker_id)
        if query.get("reveal") == "id_number":
            return services.reveal_id_number(user, worker, query["reason"])
        if limited:
            return {field: getattr(worker, field) for field in LIMITED_FIELDS}
        if user.id == worker.user_id:
            return services.own_view(worker)
        return worker
