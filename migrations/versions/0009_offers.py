"""offers: bookings the employer's side proposes and the worker accepts, declines or lets expire

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_STATUSES = (
    'pending', 'confirmed', 'checked_in', 'checked_out', 'completed', 'rejected', 'cancelled',
    'no_show',
)
NEW_STATUSES = ('offered', *OLD_STATUSES[:-1], 'no_show', 'declined', 'expired')
OLD_LIVE = ('pending', 'confirmed', 'checked_in', 'checked_out')
NEW_LIVE = ('offered', *OLD_LIVE)


def _in(statuses):
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


def _swap(statuses, live, old_live):
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bookings_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_bookings_status_known'), _in(statuses))
        batch_op.drop_index(
            'uq_bookings_live_worker_shift',
            sqlite_where=sa.text(_in(old_live)),
            postgresql_where=sa.text(_in(old_live)),
        )
        batch_op.create_index(
            'uq_bookings_live_worker_shift',
            ['shift_id', 'worker_id'],
            unique=True,
            sqlite_where=sa.text(_in(live)),
            postgresql_where=sa.text(_in(live)),
        )


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offered_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_bookings_offered_by_users'), 'users', ['offered_by'], ['id']
        )
        batch_op.create_index('ix_bookings_status_expires_at', ['status', 'expires_at'], unique=False)
    _swap(NEW_STATUSES, NEW_LIVE, OLD_LIVE)


def downgrade():
    # Offers have no place in the old states: an open one is withdrawn (its place given back),
    # a declined or expired one becomes a cancelled booking.
    op.execute(
        "UPDATE shifts SET booked = booked - (SELECT count(*) FROM bookings "
        "WHERE bookings.shift_id = shifts.id AND bookings.status = 'offered')"
    )
    op.execute(
        "UPDATE bookings SET status = 'cancelled' WHERE status IN ('offered', 'declined', 'expired')"
    )
    _swap(OLD_STATUSES, OLD_LIVE, NEW_LIVE)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_status_expires_at')
        batch_op.drop_constraint(batch_op.f('fk_bookings_offered_by_users'), type_='foreignkey')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('offered_by')
