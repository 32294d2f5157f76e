"""waitlists of full shifts (contract v1.1 "Repeat work")

A worker waits for a place on a full shift; when one frees, the first waiting worker who can
still take it is booked. One entry per worker and shift; the turn is the order of joining.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_waitlist_entries_shift_id_shifts")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_waitlist_entries_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint(
            "shift_id", "worker_id", name=op.f("uq_waitlist_entries_shift_id_worker_id")
        ),
    )
    op.create_index(
        "ix_waitlist_entries_shift_turn",
        "waitlist_entries",
        ["shift_id", "joined_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_waitlist_entries_worker_id"), "waitlist_entries", ["worker_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_waitlist_entries_worker_id"), table_name="waitlist_entries")
    op.drop_index("ix_waitlist_entries_shift_turn", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
