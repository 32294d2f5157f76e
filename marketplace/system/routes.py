"""Health of the service and the assets of the documentation page."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, send_from_directory
from flask.views import MethodView
from marshmallow import fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from swagger_ui_bundle import swagger_ui_path

from marketplace.common.api import Blueprint
from marketplace.extensions import db

log = logging.getLogger(__name__)

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Health")


class HealthSchema(ma.Schema):
    """Whether the service and its database answer."""

    status = fields.String(required=True)
    database = fields.String(required=True)


@blp.route("")
class Health(MethodView):
    """Liveness and database reachability."""

    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database does not answer")
    def get(self):
        """Check that the service and its database answer.

        Anyone may call it, without a token: load balancers and monitors poll it. It runs a
        trivial query on the database. 200 ``{"status": "ok", "database": "ok"}``: both answer.
        503 ``{"status": "unavailable", "database": "unreachable"}``: the process is up but the
        database does not answer (the failure is logged); try again shortly.
        """
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            log.warning("health check: database unreachable", exc_info=True)
            db.session.rollback()
            return {"status": "unavailable", "database": "unreachable"}, 503
        return {"status": "ok", "database": "ok"}


def register_docs_assets(app: Flask) -> None:
    """Serve Swagger UI's files from the swagger-ui-bundle package: the docs need no internet."""
    assets = str(swagger_ui_path)

    @app.get("/api/v1/docs/assets/<path:filename>")
    def docs_asset(filename: str):
        return send_from_directory(assets, filename)
