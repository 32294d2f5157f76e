"""booking attempts, for the per-user limit on booking

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_booking_attempts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_attempts'))
    )
    with op.batch_alter_table('booking_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_booking_attempts_user_id_at', ['user_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('booking_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_attempts_user_id_at')

    op.drop_table('booking_attempts')
