"""the audit outbox: events written with their change, chained by one sequencer

Every write transaction of the service used to take the chain's one lock and read its tail to
append an event. Events now go into ``audit_outbox`` with their change (an insert, nothing
else), and the sequencer job chains what it finds committed (audit.services.sequence). The
outbox is a queue: on PostgreSQL its dead rows are vacuumed after a fixed number of deletions
rather than a share of a table that is nearly always empty.

Events already chained stay as they are. The downgrade refuses while events wait in the outbox
(chaining them needs the audit key, which a migration does not have): nothing is lost.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04 23:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_outbox")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE audit_outbox SET (autovacuum_vacuum_scale_factor = 0, "
            "autovacuum_vacuum_threshold = 10000)"
        )


def downgrade() -> None:
    waiting = op.get_bind().scalar(sa.text("SELECT count(*) FROM audit_outbox"))
    if waiting:
        # Chaining needs the audit key, which a migration does not have.
        raise RuntimeError(
            f"{waiting} audit event(s) wait in the outbox: run `flask --app wsgi audit sequence` "
            "before downgrading"
        )
    op.drop_table("audit_outbox")
