"""favourites and blocks of employers (contract v1.1 "Repeat work")

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 20:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def _table(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        *extra,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f(f"fk_{name}_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f(f"fk_{name}_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f(f"fk_{name}_worker_id_workers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("employer_id", "worker_id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_worker_id"), name, ["worker_id"], unique=False)


def upgrade():
    _table("favourites")
    _table("blocks", sa.Column("reason", sa.Text(), nullable=False))


def downgrade():
    op.drop_table("blocks")
    op.drop_table("favourites")
