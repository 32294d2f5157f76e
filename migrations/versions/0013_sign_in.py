"""login failures remember the client address: throttling by (phone, address) and by address

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Failures recorded before this revision have no address: they count as one "unknown"
    # address until the purge drops them (a day later), and against no real client.
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('address', sa.String(length=64), nullable=False, server_default='unknown')
        )
        batch_op.drop_index('ix_login_failures_phone_at')
        batch_op.create_index(
            'ix_login_failures_address_at_phone', ['address', 'at', 'phone'], unique=False
        )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.alter_column('address', server_default=None)


def downgrade():
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_address_at_phone')
        batch_op.create_index('ix_login_failures_phone_at', ['phone', 'at'], unique=False)
        batch_op.drop_column('address')
