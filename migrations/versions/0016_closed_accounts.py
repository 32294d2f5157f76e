"""closed accounts: users and workers remember when their owner closed them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('phone', existing_type=sa.Text(), nullable=True)
        batch_op.alter_column('phone_digest', existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    from flask import current_app

    from marketplace.common.crypto import FieldCipher

    # A closed account has no phone; the older schema needs one, which no sign-in can match.
    cipher = FieldCipher(current_app.config['ID_KEY'])
    users = sa.table('users', sa.column('id'), sa.column('phone'), sa.column('phone_digest'))
    connection = op.get_bind()
    closed = connection.execute(sa.select(users.c.id).where(users.c.phone.is_(None))).scalars()
    for user_id in list(closed):
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(phone=cipher.encrypt(f'x{user_id}'), phone_digest=f'closed:{user_id}')
        )
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('phone_digest', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('phone', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('closed_at')
