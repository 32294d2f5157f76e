"""Request and response bodies of employers and delegations."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.cities import catalogue
from marketplace.common.ids import credit_code_problem
from marketplace.common.inputs import Text
from marketplace.common.schemas import LocationSchema


class EmployerProfileInSchema(ma.Schema):
    """The profile an employer writes (PUT replaces it whole)."""

    name = Text(required=True, validate=validate.Length(min=1, max=100))
    credit_code = Text(
        required=True, metadata={"description": "统一社会信用代码, 18 characters (GB 32100)"}
    )
    city = fields.String(required=True, validate=validate.OneOf(catalogue.codes()))
    address = Text(required=True, validate=validate.Length(min=1, max=200))
    location = fields.Nested(LocationSchema, required=True)

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
    city = fields.String()
    address = fields.String()
    location = fields.Nested(LocationSchema)
