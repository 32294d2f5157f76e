"""Request and response bodies of broker profiles."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.cities import catalogue
from marketplace.common.inputs import Text
from marketplace.common.schemas import Id, Instant, TakesItsOutputBack, optional_fields


class BrokerProfileInSchema(TakesItsOutputBack):
    """The profile a broker writes (PUT replaces it whole; the body of a GET may be sent back)."""

    name = Text(required=True, validate=validate.Length(min=1, max=100))
    city = fields.String(required=True, validate=validate.OneOf(catalogue.codes()))
    licence_number = Text(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=64)
    )


class BrokerSchema(ma.Schema):
    """A broker as the API shows it."""

    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    city = fields.String()
    licence_number = fields.String(allow_none=True)


BrokerProfileInSchema.OUTPUT = BrokerSchema
BrokerProfilePatchSchema = optional_fields(BrokerProfileInSchema, "BrokerProfilePatchSchema")


class DelegationInSchema(ma.Schema):
    """Let a broker act for me."""

    broker_id = Id(required=True)


class DelegationSchema(ma.Schema):
    """A live delegation."""

    id = fields.Integer()
    employer_id = fields.Integer()
    broker_id = fields.Integer()
    created_at = Instant()


# Examples of the request bodies in the OpenAPI document (each one valid input).
BROKER_PROFILE_EXAMPLE = {
    "name": "无锡惠民人力资源服务有限公司",
    "city": "wuxi",
    "licence_number": "320200202400123",
}
BROKER_PROFILE_PATCH_EXAMPLE = {"licence_number": "320200202600456"}
DELEGATION_EXAMPLE = {"broker_id": 7}
