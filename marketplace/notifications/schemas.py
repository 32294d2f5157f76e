"""Response bodies and filters of notifications."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.common.schemas import Id, Instant


class NotificationSchema(ma.Schema):
    """An in-app notification."""

    id = fields.Integer()
    kind = fields.String()
    message = fields.String()
    data = fields.Dict()
    created_at = Instant()
    read_at = Instant(allow_none=True)


class NotificationQuerySchema(ma.Schema):
    """Only unread ones? (``?unread=1``)"""

    unread = fields.Boolean(load_default=False)


class ReadInSchema(ma.Schema):
    """Which of my notifications I have read."""

    ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500))


# Examples of the request bodies in the OpenAPI document (each one valid input).
READ_NOTIFICATIONS_EXAMPLE = {"ids": [12, 13, 15]}
