"""HTTP endpoints of the statistics."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields, validate

from marketplace.common import spreadsheets
from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.common.months import Month
from marketplace.common.schemas import MonthText
from marketplace.database import writes_on_read
from marketplace.replicas import reads_from_replica
from marketplace.stats import services

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats", description="Statistics")


class MonthlyQuerySchema(ma.Schema):
    """Which city and month."""

    city = fields.String(required=True)
    month = MonthText(required=True)


class FiguresSchema(ma.Schema):
    """Workers, hours and income of a part of the month's active workers."""

    workers = fields.Integer()
    hours = fields.Decimal(as_string=True, places=2)
    income = fields.Decimal(as_string=True, places=2)


class ByGroupSchema(ma.Schema):
    """The groups the documents name."""

    unemployed = fields.Nested(FiguresSchema)
    difficulty = fields.Nested(FiguresSchema)
    graduate = fields.Nested(FiguresSchema)
    veteran = fields.Nested(FiguresSchema)
    migrant_worker = fields.Nested(FiguresSchema)
    women = fields.Nested(FiguresSchema)


class MonthlySchema(ma.Schema):
    """The month's figures of a city."""

    month = fields.String()
    city = fields.String()
    active_workers = fields.Integer()
    hours = fields.Decimal(as_string=True, places=2)
    income_total = fields.Decimal(as_string=True, places=2)
    income_median = fields.Decimal(as_string=True, places=2)
    new_urban_employment = fields.Integer(
        allow_none=True,
        metadata={
            "description": "新增就业 (无锡 第四条): persons whose first month of the year with "
            "income at the monthly minimum wage and premiums paid is this month; null where the "
            "city's document has no such count (西宁)"
        },
    )
    covered_hours = fields.Decimal(
        as_string=True,
        places=2,
        metadata={
            "description": "hours of booking earnings whose job stated an injury cover "
            "(职业伤害保障) valid on the shift's day"
        },
    )
    uncovered_hours = fields.Decimal(
        as_string=True,
        places=2,
        metadata={
            "description": "hours of booking earnings without such cover (imported income is "
            "in neither)"
        },
    )
    by_group = fields.Nested(ByGroupSchema)
    by_district = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema))
    by_category = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSchema))


@blp.route("/monthly")
class Monthly(MethodView):
    """A city's month in figures."""

    @auth_required("official", "admin")
    @blp.arguments(MonthlyQuerySchema, location="query")
    @blp.response(200, MonthlySchema)
    @reads_from_replica
    def get(self, query: dict[str, Any]):
        """Show a city's month: workers, hours, income, 新增就业 and their breakdowns.

        Officials of the city, and admins (403 for every other role, and for an official of
        another city). The active workers of the month (those with income recorded in it), their
        hours and income (total and median), 新增就业 where the city's document counts it, the
        hours worked with and without injury cover (职业伤害保障) on the shift's day, and the same
        figures by group, district and job category. 422: an unknown city, or a month
        that is not ``YYYY-MM``.
        """
        services.require_city_reader(current_user(), query["city"])
        return services.monthly(query["city"], Month.parse(query["month"]))


class WorkersExportQuerySchema(MonthlyQuerySchema):
    """Which city and month, and the file format."""

    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


@blp.route("/workers/export")
class WorkersExport(MethodView):
    """The per-worker information of a month, as a file."""

    @auth_required("official", "admin")
    @writes_on_read  # each download is an audit event
    @blp.arguments(WorkersExportQuerySchema, location="query")
    @blp.doc(
        responses=spreadsheets.response_doc(
            "one row per active worker; Chinese headers, ID numbers masked"
        )
    )
    @reads_from_replica
    def get(self, query: dict[str, Any]):
        """Export the month's active workers: hours, income, work places, contact (无锡 第四条).

        Officials of the city, and admins (403 for every other role, and for an official of
        another city). One row per active worker of the month, with Chinese headers and masked
        ID numbers, as ``csv`` (the default) or ``xlsx``. Each download is an audit event. 422:
        an unknown city or format, or a month that is not ``YYYY-MM``.
        """
        exported = services.export_workers(
            current_user(), query["city"], Month.parse(query["month"]), query["format"]
        )
        return spreadsheets.download(exported)
