"""Marshmallow fields and schemas shared by the domains: money, instants, months, locations."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import request
from marshmallow import fields, validate

from marketplace.clock import DEFAULT_TIMEZONE
from marketplace.common.months import Month
from marketplace.errors import N_, Invalid

CENT = Decimal("0.01")
# Ids are INTEGER columns, 32-bit on PostgreSQL: no object has a larger one, and PostgreSQL
# refuses to compare a larger number with them.
MAX_ID = 2**31 - 1
# The range of instants the API accepts (see Instant).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_MONEY = re.compile(r"\d{1,9}(\.\d{1,2})?", re.ASCII)


_ANSWERED_IN = ZoneInfo(DEFAULT_TIMEZONE)


def money_text(value: Decimal | int | str | None) -> str | None:
    """Yuan as the API writes them: a decimal string with two decimals (``Money``'s output)."""
    if value is None:
        return None
    return str(Decimal(value).quantize(CENT))


def instant_text(value: datetime | None) -> str | None:
    """An instant as the API writes it: ISO 8601 in China Standard Time (``Instant``'s output)."""
    if value is None:
        return None
    return value.astimezone(_ANSWERED_IN).isoformat()


class Money(fields.Field):
    """Yuan as a decimal string with two decimals (``"25.00"``); never a float."""

    default_error_messages = {  # noqa: RUF012 — marshmallow's convention
        "invalid": N_('must be a decimal string in yuan with at most two decimals, e.g. "25.00"'),
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": r"^\d{1,9}(\.\d{1,2})?$", "example": "25.00"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return money_text(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str) or not _MONEY.fullmatch(value):
            raise self.make_error("invalid")
        return Decimal(value).quantize(CENT)


class Hours(Money):
    """Hours as a decimal string with at most two decimals (``"8.00"``)."""

    default_error_messages = {  # noqa: RUF012 — marshmallow's convention
        "invalid": N_('must be a decimal string of hours with at most two decimals, e.g. "8.00"'),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"example": "8.00", **kwargs.pop("metadata", {})}, **kwargs)


class Id(fields.Integer):
    """The id of an object in a request: 1 to ``MAX_ID`` (anything else is 422, not a crash)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def decimal_string_property(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: ``Decimal(as_string=True)`` is a string in JSON, not a number.

    Registered on flask-smorest's marshmallow plugin; ``self`` is apispec's field converter.
    """
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
    return {}


# apispec's OpenAPI 3.0 form of a nullable reference: any of "an object or null" and the schema.
_NULLABLE_OBJECT = {"type": "object", "nullable": True}


def nullable_nested_property(
    self: Any, field: fields.Field, ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """apispec attribute function: a nullable nested schema is ``allOf`` its reference, nullable.

    apispec writes it as ``anyOf: [{"type": "object", "nullable": true}, {"$ref": …}]``, which
    client generators read as an untyped object first (openapi-python-client parses a booking's
    ``earning`` into a bare dict); ``{"allOf": [{"$ref": …}], "nullable": true}`` reads as the
    schema or null. Registered after apispec's own functions, so ``ret`` holds their result.
    """
    any_of = ret.get("anyOf")
    if not isinstance(field, fields.Nested) or not any_of or _NULLABLE_OBJECT not in any_of:
        return {}
    del ret["anyOf"]
    return {"allOf": [schema for schema in any_of if schema != _NULLABLE_OBJECT], "nullable": True}


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant that must carry an offset; answered in China Standard Time.

    Instants before 2000 or from 2100 on are refused: nothing the platform records lies there,
    and older ones would be answered in Shanghai's local mean time (``+08:05:43``), which is no
    valid RFC 3339 offset — near year 1 or 9999 they cannot even be converted to UTC.
    """

    default_error_messages = {  # noqa: RUF012 — marshmallow's convention
        # marshmallow's own texts, as msgids of their own: "datetime" and "aware" translated.
        "invalid": N_("Not a valid datetime."),
        "invalid_awareness": N_("Not a valid aware datetime."),
        "out_of_range": N_("must lie between 2000-01-01 and 2100-01-01 (UTC)"),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        instant: datetime = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= instant < LATEST:
            raise self.make_error("out_of_range")
        return instant

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return instant_text(value)


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
    """A month ``YYYY-MM`` of 2000–2099 (returned as that text), like the instants the API takes.

    The bound keeps month arithmetic (twelve months back, a graduate's two years) in range.
    """

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": r"^20\d{2}-(0[1-9]|1[0-2])$", "example": "2026-01"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            month = Month.parse(text)
        except ValueError:
            raise ma.ValidationError("must be a month YYYY-MM") from None
        if not 2000 <= month.year <= 2099:
            raise ma.ValidationError("must be a month of 2000–2099")
        return str(month)


class OwnListQuerySchema(ma.Schema):
    """The filters of the employer's side's own lists: whose, which days, which shift.

    ``from`` and ``to`` are days (inclusive) of the shifts' starts in China Standard Time.
    """

    employer_id = Id(metadata={"description": "brokers: the employer whose list it is"})
    start = fields.Date(data_key="from", metadata={"description": "first day (inclusive)"})
    end = fields.Date(data_key="to", metadata={"description": "last day (inclusive)"})
    shift_id = Id()

    @ma.validates_schema
    def _days_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "start" in data and "end" in data and data["end"] < data["start"]:
            raise ma.ValidationError("must not be before from", field_name="to")


class TakesItsOutputBack(ma.Schema):
    """An input schema that takes back the body its ``GET`` gave (contract v1.1 "Profiles
    round-trip"): the output's read-only fields (``id``, ``rating`` …) are dropped, whatever
    they say, so a client may send a profile back as it read it. Fields neither schema knows
    are still refused."""

    OUTPUT: ClassVar[type[ma.Schema]]

    @ma.pre_load
    def _drop_read_only(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        read_only = set(self.OUTPUT._declared_fields) - set(self.declared_fields)
        return {key: value for key, value in data.items() if key not in read_only}


def optional_fields(schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """``schema`` with every field optional and without defaults: the body of a PATCH, which
    changes only the fields it gives (its schema-wide checks run on the merged whole)."""
    declared: dict[str, Any] = {}
    for key, field in schema._declared_fields.items():
        optional = copy.deepcopy(field)
        optional.required = False
        optional.load_default = ma.missing
        declared[key] = optional
    doc = f"Any of the fields of {schema.__name__}; only those given change."
    return type(name, (ma.Schema,), {**declared, "__doc__": doc})


def patched(shown: Any, schema: type[TakesItsOutputBack]) -> Any:
    """The whole body a PATCH makes: the request's fields laid over the profile ``shown`` as
    the API shows it (``schema.OUTPUT``), loaded and checked by the PUT's ``schema`` — 422 in
    the API's shape if it breaks a rule."""
    changes = request.get_json(silent=True) or {}
    try:
        return schema().load({**schema.OUTPUT().dump(shown), **changes})
    except ma.ValidationError as error:
        raise Invalid("invalid input", {"json": error.messages}) from None
