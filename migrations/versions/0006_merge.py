"""join the subsidy-flags and matching-keys branches

Revision ID: 0006
Revises: 0005, 0005m
Create Date: 2026-11-22 03:12:00

"""

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = ('0005', '0005m')
branch_labels = None
depends_on = None


def upgrade():
    # Both branches changed different tables; joining them needs no schema change.
    pass


def downgrade():
    pass
