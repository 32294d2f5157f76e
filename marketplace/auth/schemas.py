"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.auth.credentials import (
    MAINLAND_MOBILE_OPENAPI,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PHONE_RULE,
    is_mainland_mobile,
)
from marketplace.auth.models import SELF_REGISTERED_ROLES


class MainlandMobile(validate.Validator):
    """A mainland mobile number, as 11 ASCII digits matched whole (``auth.credentials``)."""

    error = PHONE_RULE

    def __call__(self, value: Any) -> Any:
        """Answer ``value`` if it is a mainland mobile number; raise a validation error if not."""
        if not isinstance(value, str) or not is_mainland_mobile(value):
            raise ma.ValidationError(self.error)
        return value


def phone_field() -> fields.String:
    """A required phone field; the OpenAPI document states its pattern."""
    return fields.String(
        required=True,
        validate=MainlandMobile(),
        metadata={"pattern": MAINLAND_MOBILE_OPENAPI, "example": "13800000000"},
    )


def new_password_field(description: str) -> fields.String:
    """A password to be set: the length is checked here, the other rules by the service."""
    return fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH),
        metadata={"description": description},
    )


PASSWORD_RULES = (
    f"At least {MIN_PASSWORD_LENGTH} characters, not one of the 10,000 most common passwords "
    "(compared case-insensitively) and not containing the phone number."
)


class RegisterSchema(ma.Schema):
    """Self-registration."""

    phone = phone_field()
    password = new_password_field(PASSWORD_RULES)
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

    phone = phone_field()
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(max=MAX_PASSWORD_LENGTH)
    )


class TokenSchema(ma.Schema):
    """An issued bearer token."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})


class PasswordChangeSchema(ma.Schema):
    """The current password and the new one."""

    old = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(max=MAX_PASSWORD_LENGTH),
        metadata={"description": "The current password; a wrong one counts as a failed sign-in."},
    )
    new = new_password_field(f"{PASSWORD_RULES} Different from the current password.")


class PasswordChangedSchema(ma.Schema):
    """The outcome of a password change."""

    revoked_tokens = fields.Integer(
        required=True,
        metadata={"description": "How many other live tokens of the caller were revoked."},
    )


# Examples of the request bodies in the OpenAPI document (each one valid input).
REGISTER_EXAMPLE = {"phone": "13912345678", "password": "qingshan-lu-42", "role": "worker"}
TOKEN_REQUEST_EXAMPLE = {"phone": "13912345678", "password": "qingshan-lu-42"}
PASSWORD_CHANGE_EXAMPLE = {"old": "qingshan-lu-42", "new": "taihu-bay-2026"}
