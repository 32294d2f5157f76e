"""attendance that can be closed: who checked a booking out, and the employer's reason

A worker who forgot to check out is checked out by the scheduled job `attendance` at the shift's
end; the employer's side may record the attendance of a booking whose shift has ended (contract
v1.1 "Everyday use"). Existing check-outs were the workers' own.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BOOKINGS = sa.table(
    'bookings', sa.column('checked_out_at', sa.DateTime()), sa.column('checkout_source', sa.String())
)

# Plain ALTER TABLE (SQLite adds and drops columns in place): a batch rebuild would drop the
# bookings table that earnings and ratings point at.


def upgrade():
    op.add_column('bookings', sa.Column('checkout_source', sa.String(length=16), nullable=True))
    op.add_column('bookings', sa.Column('attendance_reason', sa.Text(), nullable=True))
    op.execute(
        BOOKINGS.update()
        .where(BOOKINGS.c.checked_out_at.is_not(None))
        .values(checkout_source='worker')
    )


def downgrade():
    op.drop_column('bookings', 'attendance_reason')
    op.drop_column('bookings', 'checkout_source')
