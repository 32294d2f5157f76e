"""HTTP endpoints of the audit log."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import fields, validate
from sqlalchemy import select

from marketplace.audit import services
from marketplace.audit.models import AuditEvent
from marketplace.common.api import Blueprint, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.inputs import Text
from marketplace.common.schemas import Instant
from marketplace.database import set_write_intent, writes_on_read

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit-events", description="The audit log")


class AuditQuerySchema(ma.Schema):
    """Filters of the audit log."""

    entity = Text(validate=validate.Length(min=1, max=32))
    entity_id = Text(validate=validate.Length(min=1, max=64))
    action = Text(validate=validate.Length(min=1, max=64))


class AuditEventSchema(ma.Schema):
    """One event of the chain."""

    seq = fields.Integer()
    at = Instant()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    city = fields.String(allow_none=True)
    data = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()
    key_id = fields.String(metadata={"description": "public id of the HMAC key of the hash"})


class ChainReportSchema(ma.Schema):
    """The result of re-checking the chain and its checkpoints."""

    ok = fields.Boolean(required=True)
    count = fields.Integer(required=True, metadata={"description": "events that verified"})
    first_bad_seq = fields.Integer(
        metadata={"description": "the first event (or checkpoint) that does not verify"}
    )
    missing_after_seq = fields.Integer(
        metadata={"description": "the chain's last seq, when events after it were deleted"}
    )
    checkpoints = fields.Integer(metadata={"description": "signed checkpoints verified"})


class CheckpointQuerySchema(ma.Schema):
    """Filters of the checkpoints' export."""

    from_seq = fields.Integer(
        validate=validate.Range(min=1, max=2**62),
        metadata={"description": "only checkpoints of this seq and later (to export new ones)"},
    )


class CheckpointSchema(ma.Schema):
    """A signed checkpoint: Ed25519 over the canonical JSON of ``{"seq", "hash", "at"}``."""

    seq = fields.Integer(required=True)
    hash = fields.String(required=True)
    at = fields.String(
        required=True,
        metadata={
            "format": "date-time",
            "description": "the instant exactly as signed (China Standard Time, microseconds)",
        },
    )
    signature = fields.String(required=True, metadata={"description": "base64, 64 bytes"})
    key_id = fields.String(required=True, metadata={"description": "the signing key's id"})


class RetiredKeySchema(ma.Schema):
    """An older signing key, still trusted for the checkpoints it signed."""

    key_id = fields.String(required=True)
    public_key = fields.String(required=True)


class PublicKeySchema(ma.Schema):
    """The key that checks the checkpoints' signatures."""

    algorithm = fields.String(required=True, metadata={"example": "Ed25519"})
    key_id = fields.String(required=True)
    public_key = fields.String(
        required=True, metadata={"description": "base64 of the raw 32-byte Ed25519 public key"}
    )
    pem = fields.String(required=True, metadata={"description": "SubjectPublicKeyInfo, PEM"})
    retired = fields.List(fields.Nested(RetiredKeySchema), required=True)


@blp.route("")
class AuditEvents(MethodView):
    """The events an official (their city) or admin (all) may read."""

    @auth_required("official", "admin")
    @writes_on_read  # first chains what waits in the outbox
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List audit events, oldest first.

        Officials and admins only (403 for every other role); an official sees the events of
        their city, an admin all. Every change the services make is an event of an append-only
        chain, each hash linking it to the one before. Filters: ``entity``, ``entity_id`` and
        ``action`` (exact). Paged with ``page`` and ``per_page``. 422: an invalid filter.
        """
        services.sequence()  # nothing committed is missing from what is read
        user = current_user()
        conditions = [getattr(AuditEvent, name) == value for name, value in filters.items()]
        if user.role == "official":
            conditions.append(AuditEvent.city == user.city)
        query = select(AuditEvent).where(*conditions).order_by(AuditEvent.seq)
        return page_of(query, pagination_parameters)


@blp.route("/verify")
class VerifyChain(MethodView):
    """Checking the chain."""

    @auth_required("official", "admin")
    @writes_on_read  # first chains what waits in the outbox
    @blp.response(200, ChainReportSchema)
    def get(self):
        """Re-check the whole chain and its checkpoints: every hash, link and signature.

        Officials and admins only (403 for every other role). Reads every event, in order, and
        every signed checkpoint: ``ok`` is true when each event's hash and link to the previous
        one verify and each checkpoint's signature and event match; otherwise
        ``first_bad_seq`` names the first event or checkpoint that does not, and
        ``missing_after_seq`` the last event left when events after a checkpoint were
        deleted. The answer is 200 in both cases.
        """
        # Chaining is a unit of work of its own (the sequencer's), committed before the walk:
        # a long walk then holds neither the chain's lock nor, on SQLite, the write lock.
        services.catch_up()
        set_write_intent(False)
        return services.verify().as_dict()


@blp.route("/public-key")
class PublicKey(MethodView):
    """The checkpoints' public key."""

    @auth_required("official", "admin")
    @blp.response(200, PublicKeySchema)
    def get(self):
        """Read the Ed25519 public key that checks the checkpoints (and the retired ones).

        Officials and admins only (403 for every other role). The key, raw in base64 and as
        PEM, with its id, and the retired keys still trusted for the checkpoints they signed,
        so that exported checkpoints can be verified outside the platform.
        """
        return services.public_keys()


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    """The signed checkpoints, to keep outside the database."""

    @auth_required("official", "admin")
    @writes_on_read  # each export is an audit event
    @blp.arguments(CheckpointQuerySchema, location="query")
    @blp.response(200, CheckpointSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """Export the signed checkpoints, oldest first; the export is an audit event.

        Officials and admins only (403 for every other role). Each checkpoint signs the hash of
        the chain at one event; kept outside the database, they show later that no event up to
        them was changed or deleted. ``from_seq`` keeps those from that event on (to export
        only new ones). Paged with ``page`` and ``per_page``. 422: an invalid ``from_seq``.
        """
        services.sequence()  # the checkpoints every AUDIT_CHECKPOINT_EVERY events are written
        user = current_user()
        page = page_of(services.checkpoints_query(filters.get("from_seq")), pagination_parameters)
        return services.exported(
            page,
            {
                **filters,
                "page": pagination_parameters.page,
                "per_page": pagination_parameters.page_size,
            },
            actor_id=user.id,
            city=user.city,
        )
