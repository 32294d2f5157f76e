"""The filters of the desk's pages, read from their query strings as the API reads its own."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from marshmallow import fields, validate

from marketplace.common.schemas import MonthText
from marketplace.errors import Invalid
from marketplace.subsidies.schemas import FlagQuerySchema, LedgerQuerySchema


class QueueQuerySchema(FlagQuerySchema):
    """The queue's filters (those of the API's flag list) and its page."""

    class Meta:
        unknown = ma.EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class ExportFlagsQuerySchema(FlagQuerySchema):
    """The queue's filters, for the flags download."""

    class Meta:
        unknown = ma.EXCLUDE


class StatsQuerySchema(ma.Schema):
    """Which city and month the statistics page shows (defaults: mine, the last whole month)."""

    class Meta:
        unknown = ma.EXCLUDE

    city = fields.String()
    month = MonthText()


class LedgerPageQuerySchema(LedgerQuerySchema):
    """The ledger's filters on the desk (its links keep them)."""

    class Meta:
        unknown = ma.EXCLUDE


def given(args: Any) -> dict[str, str]:
    """The filters given: an empty select option means "any", which is no filter at all."""
    return {key: value for key, value in args.items() if value != ""}


def load(schema: ma.Schema, args: dict[str, str]) -> dict[str, Any]:
    """The filters read by ``schema``; 422 (the desk's error page) when they are invalid."""
    try:
        return dict(schema.load(args))
    except ma.ValidationError as error:
        raise Invalid("invalid filters", {"query": error.messages}) from None


def queue_query() -> dict[str, str]:
    """The queue's query string without its page, ``status=pending`` unless one is given.

    The queue opens on what is waiting; "全部" sends status= (empty), which is no filter but
    must stay in the page links, or page 2 would fall back to what is waiting.
    """
    query = {key: value for key, value in request.args.items() if key != "page"}
    query.setdefault("status", "pending")
    return query
