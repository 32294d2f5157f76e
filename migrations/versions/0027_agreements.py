"""agreements and injury cover (contract v1.1 "Agreements and injury cover", 无锡 第七条、第八条)

Each booking a worker says yes to gets an agreement, fixed at acceptance (its text and parties
sealed, the text's SHA-256 in clear). A job may state its injury cover (职业伤害保障): the
insurer, the policy number and the last day it covers. Bookings made before have no agreement;
jobs posted before state no cover.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0027"
down_revision = '0026'
branch_labels = None
depends_on = None

# Plain ALTER TABLE (SQLite adds and drops columns in place): a batch rebuild would drop the
# jobs table that shifts and bookings point at.


def upgrade():
    op.add_column('jobs', sa.Column('injury_insurer', sa.String(length=100), nullable=True))
    op.add_column('jobs', sa.Column('injury_policy_number', sa.String(length=64), nullable=True))
    op.add_column('jobs', sa.Column('injury_valid_to', sa.Date(), nullable=True))
    op.create_table(
        'agreements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('parties', sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('part_time', 'full_time', 'dispatch', 'outsourcing')",
            name=op.f('ck_agreements_kind_known'),
        ),
        sa.ForeignKeyConstraint(
            ['booking_id'], ['bookings.id'], name=op.f('fk_agreements_booking_id_bookings')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
        sa.UniqueConstraint('booking_id', name=op.f('uq_agreements_booking_id')),
    )


def downgrade():
    op.drop_table('agreements')
    op.drop_column('jobs', 'injury_valid_to')
    op.drop_column('jobs', 'injury_policy_number')
    op.drop_column('jobs', 'injury_insurer')
