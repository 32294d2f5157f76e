"""Request and response bodies of worker profiles."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.cities import catalogue
from marketplace.common.inputs import Text
from marketplace.common.schemas import (
    Id,
    Instant,
    LocationSchema,
    TakesItsOutputBack,
    optional_fields,
)
from marketplace.errors import Message
from marketplace.workers import skills

_CLOCK_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d", re.ASCII)


def known_skills(codes: list[str]) -> None:
    """Skills are codes of the catalogue (GET /skills); the unknown ones are named."""
    missing = skills.unknown(codes)
    if missing:
        raise ma.ValidationError(
            Message(
                "not in the skills catalogue: %(codes)s (see GET /api/v1/skills)",
                codes=", ".join(missing),
            )
        )


def skill_list(max_length: int, **kwargs: Any) -> fields.List:
    """A list of skill codes of the catalogue (duplicates allowed, stored once)."""
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        validate=[validate.Length(max=max_length), known_skills],
        metadata={"description": "codes of GET /api/v1/skills"},
        **kwargs,
    )


class AvailabilitySchema(ma.Schema):
    """A weekly window in which the worker takes shifts (city time)."""

    weekday = fields.Integer(
        required=True, validate=validate.Range(min=0, max=6), metadata={"description": "0=Mon"}
    )
    start = fields.String(required=True, metadata={"example": "08:00"})
    end = fields.String(required=True, metadata={"example": "18:00", "description": "24:00 ok"})

    @ma.validates_schema
    def check_window(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Both ends are HH:MM and the window is not empty."""
        if not _CLOCK_TIME.fullmatch(data["start"]):
            raise ma.ValidationError("must be HH:MM", "start")
        if not (_CLOCK_TIME.fullmatch(data["end"]) or data["end"] == "24:00"):
            raise ma.ValidationError("must be HH:MM (or 24:00)", "end")
        if data["end"] <= data["start"]:
            raise ma.ValidationError("must be after start", "end")


def check_district(data: dict[str, Any]) -> None:
    """A district, when given, must be one of the city's."""
    city = catalogue.find(data.get("city", ""))
    district = data.get("district")
    if city is not None and district is not None and district not in city.districts:
        raise ma.ValidationError(
            Message(
                "not a district of %(city)s: %(districts)s",
                city=city.name,
                districts=", ".join(city.districts),
            ),
            "district",
        )


class WorkerProfileInSchema(TakesItsOutputBack):
    """The profile a worker writes (PUT replaces it whole; the body of a GET may be sent back)."""

    name = Text(required=True, validate=validate.Length(min=1, max=50))
    id_number = fields.String(
        required=True,
        validate=validate.Length(equal=18),
        metadata={
            "description": "18-character resident ID (GB 11643); on a profile that has one, the "
            "masked number GET gave keeps it"
        },
    )
    city = fields.String(required=True, validate=validate.OneOf(catalogue.codes()))
    resident = fields.Boolean(required=True, metadata={"description": "常住地在本市"})
    district = Text(load_default=None, allow_none=True)
    location = fields.Nested(LocationSchema, required=True)
    skills = skill_list(30, load_default=list)
    unemployment_registered_on = fields.Date(load_default=None, allow_none=True)
    difficulty_certified_on = fields.Date(load_default=None, allow_none=True)
    graduated_on = fields.Date(load_default=None, allow_none=True)
    veteran = fields.Boolean(load_default=False)
    migrant_worker = fields.Boolean(load_default=False)
    availability = fields.List(
        fields.Nested(AvailabilitySchema), load_default=list, validate=validate.Length(max=50)
    )
    max_distance_km = fields.Float(load_default=20.0, validate=validate.Range(min=0.5, max=100))

    @ma.validates_schema
    def check_district(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The district belongs to the city."""
        check_district(data)


class WorkerSchema(ma.Schema):
    """A worker profile as the API shows it; the ID number masked."""

    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    id_number = fields.String(
        metadata={
            "description": "masked: to the worker itself the first 6 + last 4 characters, to "
            "every other reader the first 4 + last 2 (`3202************3X`); in full only when "
            "revealed to an official of the worker's city"
        }
    )
    birth_date = fields.Date(metadata={"description": "only to the worker itself"})
    birth_year = fields.Integer()
    gender = fields.String()
    city = fields.String()
    resident = fields.Boolean()
    district = fields.String(allow_none=True)
    location = fields.Nested(LocationSchema)
    skills = fields.List(fields.String())
    unemployment_registered_on = fields.Date(allow_none=True)
    difficulty_certified_on = fields.Date(allow_none=True)
    graduated_on = fields.Date(allow_none=True)
    veteran = fields.Boolean()
    migrant_worker = fields.Boolean()
    availability = fields.List(fields.Nested(AvailabilitySchema))
    max_distance_km = fields.Float()
    rating = fields.Float(
        allow_none=True, metadata={"description": "mean stars, 1–5, two decimals (a number)"}
    )
    reliability = fields.Float(allow_none=True)


WorkerProfileInSchema.OUTPUT = WorkerSchema
WorkerProfilePatchSchema = optional_fields(WorkerProfileInSchema, "WorkerProfilePatchSchema")


class RevealQuerySchema(ma.Schema):
    """``?reveal=id_number&reason=…``: an official of the worker's city sees the full number.

    The reason is required and goes into the audit event of the reveal.
    """

    reveal = fields.String(validate=validate.OneOf(["id_number"]))
    reason = Text(
        validate=validate.Length(min=1, max=500),
        metadata={"description": "why the full number is needed (required with reveal)"},
    )

    @ma.validates_schema
    def reason_with_reveal(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A reveal states its reason."""
        if "reveal" in data and "reason" not in data:
            raise ma.ValidationError("required to reveal the ID number", "reason")


class GroupStatusSchema(ma.Schema):
    """A worker's group as a period with an official's check (contract v1.1)."""

    id = fields.Integer(required=True)
    worker_id = fields.Integer(required=True)
    group = fields.String(
        required=True, metadata={"enum": ["unemployed", "difficulty", "graduate"]}
    )
    started_on = fields.Date(required=True)
    ended_on = fields.Date(allow_none=True)
    reference = fields.String(
        allow_none=True, metadata={"description": "e.g. 《就业创业证》 number"}
    )
    status = fields.String(required=True, metadata={"enum": ["declared", "verified", "rejected"]})
    decided_by = fields.Integer(allow_none=True)
    decided_at = Instant(allow_none=True)
    reason = fields.String(allow_none=True)


class VerifyInSchema(ma.Schema):
    """Verify a status; the official may correct its dates and note the certificate."""

    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    reference = Text(allow_none=True, validate=validate.Length(min=1, max=64))


class RejectStatusInSchema(ma.Schema):
    """Reject a status: the reason is required."""

    reason = Text(required=True, multiline=True, validate=validate.Length(min=1, max=1000))


class EndStatusInSchema(ma.Schema):
    """End a status on a day (e.g. the unemployment registration was cancelled)."""

    ended_on = fields.Date(required=True)


class RegistrationInSchema(ma.Schema):
    """Register one's employment on one's own commitment (就业登记承诺制)."""

    form = fields.String(
        required=True, validate=validate.OneOf(["flexible", "employed", "self_employed"])
    )
    started_on = fields.Date(required=True)
    employer_id = Id(
        allow_none=True, metadata={"description": "required for form employed, else absent"}
    )
    commitment = fields.Boolean(
        required=True, metadata={"description": "true: I commit that this is true"}
    )


class RegistrationSchema(ma.Schema):
    """An employment registration."""

    id = fields.Integer(required=True)
    worker_id = fields.Integer(required=True)
    form = fields.String(
        required=True, metadata={"enum": ["flexible", "employed", "self_employed"]}
    )
    started_on = fields.Date(required=True)
    ended_on = fields.Date(allow_none=True)
    employer_id = fields.Integer(allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["registered", "revoked"]})
    reason = fields.String(allow_none=True)
    created_at = Instant(required=True)


class RegistrationQuerySchema(ma.Schema):
    """Whose registrations (an official's own city by default) and which."""

    city = fields.String(validate=validate.OneOf(catalogue.codes()))
    status = fields.String(validate=validate.OneOf(["registered", "revoked"]))


# Examples of the request bodies in the OpenAPI document (each one valid input).
WORKER_PROFILE_EXAMPLE: dict[str, Any] = {
    "name": "张丽",
    "id_number": "320202199005171220",
    "city": "wuxi",
    "resident": True,
    "district": "梁溪区",
    "location": {"lat": 31.57, "lon": 120.30},
    "skills": ["cleaning", "elderly_care"],
    "unemployment_registered_on": "2026-01-05",
    "difficulty_certified_on": None,
    "graduated_on": None,
    "veteran": False,
    "migrant_worker": False,
    "availability": [
        {"weekday": 0, "start": "08:00", "end": "18:00"},
        {"weekday": 5, "start": "09:00", "end": "24:00"},
    ],
    "max_distance_km": 15.0,
}
WORKER_PROFILE_PATCH_EXAMPLE = {"skills": ["cleaning", "catering"], "max_distance_km": 10.0}
VERIFY_STATUS_EXAMPLE = {
    "started_on": "2026-01-05",
    "ended_on": None,
    "reference": "3202002026000123",
}
REJECT_STATUS_EXAMPLE = {"reason": "未查到该人员的失业登记记录"}
END_STATUS_EXAMPLE = {"ended_on": "2026-06-30"}
REGISTRATION_EXAMPLE = {"form": "flexible", "started_on": "2026-03-01", "commitment": True}
END_REGISTRATION_EXAMPLE = {"ended_on": "2026-11-30"}
REVOKE_REGISTRATION_EXAMPLE = {"reason": "核查发现登记的就业并不存在"}
