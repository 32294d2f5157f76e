"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.auth.models import SELF_REGISTERED_ROLES

MAINLAND_MOBILE = r"^1[3-9]\d{9}$"
PHONE = validate.Regexp(
    MAINLAND_MOBILE, error="must be a mainland mobile number: 1[3-9] + 9 digits"
)
MIN_PASSWORD_LENGTH = 8


class RegisterSchema(ma.Schema):
    """Self-registration."""

    phone = fields.String(required=True, validate=PHONE)
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=128),
    )
    role = fields.String(required=True, validate=validate.OneOf(SELF_REGISTERED_ROLES))


class UserSchema(ma.Schema):
    """An account as the API shows it."""

    id = fields.Integer(required=True)
    phone = fields.String(required=True)
    role = fields.String(required=True)


class MeSchema(UserSchema):
    """The caller's own account."""

    city = fields.String(allow_none=True, required=True)


class TokenRequestSchema(ma.Schema):
    """Phone and password for a token."""

    phone = fields.String(required=True, validate=validate.Length(min=1, max=32))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class TokenSchema(ma.Schema):
    """An issued bearer token."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
