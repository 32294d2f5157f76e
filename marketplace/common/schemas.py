"""Marshmallow fields and schemas shared by the domains: money, instants, months, locations."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.clock import DEFAULT_TIMEZONE
from marketplace.common.months import Month

CENT = Decimal("0.01")
_MONEY = re.compile(r"\d{1,9}(\.\d{1,2})?")


class Money(fields.Field):
    """Yuan as a decimal string with two decimals (``"25.00"``); never a float."""

    default_error_messages = {  # noqa: RUF012 — marshmallow's convention
        "invalid": 'must be a decimal string in yuan with at most two decimals, e.g. "25.00"',
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": r"^\d{1,9}(\.\d{1,2})?$", "example": "25.00"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return str(Decimal(value).quantize(CENT))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str) or not _MONEY.fullmatch(value):
            raise self.make_error("invalid")
        return Decimal(value).quantize(CENT)


class Hours(Money):
    """Hours as a decimal string with at most two decimals (``"8.00"``)."""

    default_error_messages = {  # noqa: RUF012 — marshmallow's convention
        "invalid": 'must be a decimal string of hours with at most two decimals, e.g. "8.00"',
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"example": "8.00", **kwargs.pop("metadata", {})}, **kwargs)


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant that must carry an offset; answered in China Standard Time."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        local: datetime = value.astimezone(ZoneInfo(DEFAULT_TIMEZONE))
        return local.isoformat()


class LocationSchema(ma.Schema):
    """A point on the map."""

    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


def location_of(obj: Any) -> dict[str, float] | None:
    """The ``{"lat", "lon"}`` of a model with ``lat``/``lon`` columns."""
    if obj.lat is None or obj.lon is None:
        return None
    return {"lat": obj.lat, "lon": obj.lon}


class MonthText(fields.String):
    """A month ``YYYY-MM`` (returned as that text)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": r"^\d{4}-\d{2}$", "example": "2026-01"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return str(Month.parse(text))
        except ValueError:
            raise ma.ValidationError("must be a month YYYY-MM") from None
