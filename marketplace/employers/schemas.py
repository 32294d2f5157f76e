"""Request and response bodies of employers and delegations."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.cities import catalogue
from marketplace.common.ids import credit_code_problem
from marketplace.common.inputs import Text
from marketplace.common.schemas import LocationSchema, TakesItsOutputBack, optional_fields
from marketplace.workers.schemas import check_district


class EmployerProfileInSchema(TakesItsOutputBack):
    """The profile an employer writes (PUT replaces it whole; a GET's body may be sent back)."""

    name = Text(required=True, validate=validate.Length(min=1, max=100))
    credit_code = Text(
        required=True, metadata={"description": "统一社会信用代码, 18 characters (GB 32100)"}
    )
    city = fields.String(required=True, validate=validate.OneOf(catalogue.codes()))
    district = fields.String(load_default=None, allow_none=True, metadata={"example": "梁溪区"})
    address = Text(required=True, validate=validate.Length(min=1, max=200))
    location = fields.Nested(LocationSchema, required=True)

    @ma.validates_schema
    def check_district(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The district belongs to the city."""
        check_district(data)

    @ma.validates("credit_code")
    def check_credit_code(self, value: str, **_kwargs: Any) -> None:
        """The unified social credit code has a valid GB 32100 check character."""
        problem = credit_code_problem(value.strip().upper())
        if problem is not None:
            raise ma.ValidationError(problem)

    @ma.post_load
    def normalise(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """Credit codes are stored upper-case."""
        data["credit_code"] = data["credit_code"].strip().upper()
        return data


class EmployerSchema(ma.Schema):
    """An employer as the API shows it."""

    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    credit_code_verified = fields.Function(
        lambda employer: employer.credit_code_verified_at is not None,
        metadata={"type": "boolean"},
    )
    city = fields.String()
    district = fields.String(allow_none=True)
    address = fields.String()
    location = fields.Nested(LocationSchema)


EmployerProfileInSchema.OUTPUT = EmployerSchema
EmployerProfilePatchSchema = optional_fields(EmployerProfileInSchema, "EmployerProfilePatchSchema")


class EmployerPublicSchema(ma.Schema):
    """Who is on the other side: what any signed-in user may know of an employer."""

    id = fields.Integer()
    name = fields.String()
    city = fields.String()
    district = fields.String(allow_none=True)
    credit_code_verified = fields.Boolean(
        metadata={"description": "an official or admin checked the credit code is registered"}
    )
    rating = fields.Float(
        allow_none=True, metadata={"description": "mean stars workers gave it (1–5), two decimals"}
    )
    ratings = fields.Integer(metadata={"description": "how many workers rated it"})
    completed_shifts = fields.Integer(
        metadata={"description": "shifts worked and approved on its jobs, one per worker"}
    )
    cancel_rate = fields.Float(
        allow_none=True,
        metadata={
            "description": "the share of its confirmed bookings its side cancelled less than 12 h "
            "before the start (null before any booking was confirmed)"
        },
    )


# Examples of the request bodies in the OpenAPI document (each one valid input).
EMPLOYER_PROFILE_EXAMPLE = {
    "name": "无锡洁净保洁有限公司",
    "credit_code": "91320202MA1XY2K3LY",
    "city": "wuxi",
    "district": "梁溪区",
    "address": "无锡市梁溪区中山路1号",
    "location": {"lat": 31.57, "lon": 120.30},
}
EMPLOYER_PROFILE_PATCH_EXAMPLE = {
    "address": "无锡市梁溪区人民中路139号",
    "location": {"lat": 31.5741, "lon": 120.2983},
}
