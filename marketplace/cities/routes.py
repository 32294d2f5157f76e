"""HTTP endpoints of the city catalogue."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields

from marketplace.cities import catalogue, wages
from marketplace.common.api import Blueprint

blp = Blueprint("cities", __name__, url_prefix="/api/v1/cities", description="Cities")


class MinimumWageSchema(ma.Schema):
    """The minimum wage in force."""

    monthly = fields.Decimal(as_string=True, places=2, required=True)
    hourly = fields.Decimal(as_string=True, places=2, required=True)
    effective_from = fields.Date(required=True)


class CitySchema(ma.Schema):
    """A city with the minimum wage in force today."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    timezone = fields.String(required=True)
    minimum_wage = fields.Nested(MinimumWageSchema, allow_none=True, required=True)
    districts = fields.List(fields.String(), required=True)


@blp.route("")
class Cities(MethodView):
    """The cities served."""

    @blp.doc(security=[])
    @blp.response(200, CitySchema(many=True))
    def get(self):
        """List the cities with their districts and the minimum wage in force today.

        Anyone may call it, without a token; it takes no input and always answers 200. Each city
        gives its ``code`` (the value of ``city`` everywhere in the API), its Chinese name, its
        time zone (the days and months of its records are local to it), its districts (the only
        values ``district`` accepts for it) and the monthly and hourly minimum wage in force
        today in the city with the day it took effect (``null`` if none is known). Job wages
        below the hourly minimum are refused.
        """
        table = wages.every_city()
        return [
            {
                "code": city.code,
                "name": city.name,
                "timezone": city.timezone,
                "minimum_wage": catalogue.wage_on(table[city.code], city.today()),
                "districts": list(city.districts),
            }
            for city in catalogue.all_cities()
        ]
