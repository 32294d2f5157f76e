"""employers' public profile: the district, and when an official checked the credit code

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

# Plain ALTER TABLE (SQLite adds and drops columns in place): a batch rebuild would drop the
# employers table that jobs and bookings point at.


def upgrade():
    op.add_column('employers', sa.Column('district', sa.String(length=32), nullable=True))
    op.add_column(
        'employers', sa.Column('credit_code_verified_at', sa.DateTime(timezone=True), nullable=True)
    )


def downgrade():
    op.drop_column('employers', 'credit_code_verified_at')
    op.drop_column('employers', 'district')
