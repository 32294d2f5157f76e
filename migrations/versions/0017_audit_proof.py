"""the audit log proves itself: HMAC chain with key ids, signed checkpoints

The events stored so far are chained with plain SHA-256. This migration first checks that chain
(and refuses to go on when it is broken: re-chaining would launder whatever was changed), then
re-chains every event, in seq order, with HMAC-SHA256 under the configured AUDIT_KEY, and
records the key's id on each. The downgrade checks the HMAC chain under the configured keys
(current and retired) and recomputes plain SHA-256.

Rows are read and rewritten in batches of BATCH events (keyset pages), so a long log never sits
in memory. The canonical content of an event is copied here as it is at this revision: a
migration must not change when the application's code does.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 10:00:00.000000

"""
import hashlib
import hmac
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BATCH = 5000
GENESIS_HASH = "0" * 64

events = sa.table(
    "audit_events",
    sa.column("seq", sa.BigInteger()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("city", sa.String()),
    sa.column("data", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
# The same table once it has its key id column.
keyed_events = sa.table(
    "audit_events",
    *(sa.column(column.name, column.type) for column in events.c),
    sa.column("key_id", sa.String()),
)


class AuditChainBroken(RuntimeError):
    """The stored chain does not verify: the migration refuses to re-chain it."""


def _canonical_content(event, prev_hash):
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)  # SQLite: naive UTC
    content = {
        "seq": event.seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "city": event.city,
        "data": event.data,
        "prev_hash": prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _sha256(content):
    return hashlib.sha256(content).hexdigest()


def _hmac(key):
    return lambda content: hmac.digest(key, content, "sha256").hex()


def _key_id(key):
    return hmac.digest(key, b"key-id", "sha256").hex()[:16]


def _batches(connection, with_key_id=False):
    """Every event in seq order, BATCH at a time (each batch a list, read before any write)."""
    table = keyed_events if with_key_id else events
    after = 0
    while True:
        batch = connection.execute(
            sa.select(table).where(table.c.seq > after).order_by(table.c.seq).limit(BATCH)
        ).all()
        if not batch:
            return
        yield batch
        after = batch[-1].seq


def _check(connection, mac_of, refuse, with_key_id=False):
    """Walk the stored chain; raise ``AuditChainBroken`` at its first bad event.

    ``mac_of(event)`` is the function that made the event's hash (None: an unknown key).
    """
    expected_seq, expected_prev = 1, GENESIS_HASH
    for batch in _batches(connection, with_key_id):
        for event in batch:
            mac = mac_of(event)
            if (
                event.seq != expected_seq
                or event.prev_hash != expected_prev
                or mac is None
                or event.hash != mac(_canonical_content(event, event.prev_hash))
            ):
                raise AuditChainBroken(refuse.format(seq=expected_seq))
            expected_seq, expected_prev = event.seq + 1, event.hash


def _rechain(connection, new_hash, key_id=None):
    """Recompute every hash and prev_hash in seq order with ``new_hash``."""
    table = keyed_events if key_id is not None else events
    update = (
        table.update()
        .where(table.c.seq == sa.bindparam("b_seq"))
        .values(
            prev_hash=sa.bindparam("b_prev"),
            hash=sa.bindparam("b_hash"),
            **({"key_id": sa.bindparam("b_key_id")} if key_id is not None else {}),
        )
    )
    prev = GENESIS_HASH
    for batch in _batches(connection):
        rows = []
        for event in batch:
            digest = new_hash(_canonical_content(event, prev))
            row = {"b_seq": event.seq, "b_prev": prev, "b_hash": digest}
            if key_id is not None:
                row["b_key_id"] = key_id
            rows.append(row)
            prev = digest
        connection.execute(update, rows)


def _secret(name):
    try:
        value = current_app.config[name]
    except RuntimeError:
        raise RuntimeError(
            f"migration {revision} needs the app's {name}: run it with `flask --app wsgi db upgrade`"
        ) from None
    if not value:
        raise RuntimeError(f"migration {revision} needs {name} to be configured")
    return value


def upgrade():
    key = _secret("AUDIT_KEY").encode("utf-8")
    connection = op.get_bind()
    # Before any change: a broken chain is refused, never re-chained into a valid one.
    _check(
        connection,
        lambda event: _sha256,
        "the audit chain is broken at seq {seq} (its SHA-256 chain does not verify): "
        "refusing to re-chain it under the HMAC key. Find out what changed the log, restore "
        "it from a backup, then migrate again.",
    )

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
    _rechain(connection, _hmac(key), key_id=_key_id(key))
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("key_id", existing_type=sa.String(length=16), nullable=False)

    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )


def downgrade():
    current = _secret("AUDIT_KEY")
    retired = current_app.config.get("AUDIT_KEY_RETIRED") or ()
    macs = {_key_id(secret.encode()): _hmac(secret.encode()) for secret in (*retired, current)}
    connection = op.get_bind()
    _check(
        connection,
        lambda event: macs.get(event.key_id),
        "the audit chain is broken at seq {seq} (its HMAC chain does not verify under the "
        "configured keys): refusing to re-chain it with plain SHA-256.",
        with_key_id=True,
    )

    op.drop_table("audit_checkpoints")
    _rechain(connection, _sha256)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("key_id")
