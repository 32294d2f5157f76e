"""invited-only jobs and their invitations (contract v1.1 "Repeat work")

Every existing job is public.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 20:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

# Plain ALTER TABLE: a batch rebuild would drop the jobs table that shifts point at. SQLite
# cannot add a CHECK constraint in place; the model's check holds on PostgreSQL, and the
# service writes only the two values on both.


def upgrade():
    op.add_column(
        "jobs",
        sa.Column("audience", sa.String(length=8), server_default="public", nullable=False),
    )
    if op.get_context().dialect.name != "sqlite":
        op.create_check_constraint(
            op.f("ck_jobs_audience_known"), "jobs", "audience IN ('public', 'invited')"
        )
    op.create_table(
        "job_invitations",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_job_invitations_invited_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_invitations_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_job_invitations_worker_id_workers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "worker_id", name=op.f("pk_job_invitations")),
    )
    op.create_index(
        op.f("ix_job_invitations_worker_id"), "job_invitations", ["worker_id"], unique=False
    )


def downgrade():
    op.drop_table("job_invitations")
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_jobs_audience_known"), "jobs", type_="check")
    op.drop_column("jobs", "audience")
