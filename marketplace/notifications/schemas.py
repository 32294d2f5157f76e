"""Response bodies and filters of notifications."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from marketplace.common.schemas import Instant


class NotificationSchema(ma.Schema):
    """An in-app notification."""

    id = fields.Integer()
    kind = fields.String()
    message = fields.String()
    data = fields.Dict()
    created_at = Instant()
    read_at = Instant(allow_none=True)


class NotificationQuerySchema(ma.Schema):
    """Only unread ones?"""

    unread = fields.Boolean(load_default=False)
