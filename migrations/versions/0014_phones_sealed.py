"""phones sealed: accounts found by the phone's keyed digest, failures counted by it too

A copy of the database showed every account's phone number. The phone is now stored encrypted
under the ID key (read from the app's configuration: migrations run inside it) and found by a
keyed digest; the sign-in throttle's failures keep the digest instead of the number. The
downgrade reads the phones back.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

users = sa.table(
    'users',
    sa.column('id', sa.Integer),
    sa.column('phone', sa.Text),
    sa.column('phone_digest', sa.String),
)
failures = sa.table(
    'login_failures',
    sa.column('id', sa.Integer),
    sa.column('phone', sa.String),
    sa.column('phone_digest', sa.String),
)


def _cipher():
    from flask import current_app

    from marketplace.common.crypto import FieldCipher

    config = current_app.config
    return FieldCipher(config['ID_KEY'], tuple(config.get('ID_KEY_RETIRED', ())))


def upgrade():
    cipher = _cipher()
    connection = op.get_bind()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_phone'), type_='unique')
        batch_op.alter_column('phone', existing_type=sa.String(length=11), type_=sa.Text())
        batch_op.add_column(sa.Column('phone_digest', sa.String(length=64), nullable=True))
    for row in connection.execute(sa.select(users.c.id, users.c.phone)).all():
        connection.execute(
            users.update()
            .where(users.c.id == row.id)
            .values(
                phone=cipher.encrypt(row.phone),
                phone_digest=cipher.lookup_hash(f'phone:{row.phone}'),
            )
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('phone_digest', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_phone_digest'), ['phone_digest'])

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_address_at_phone')
        batch_op.add_column(sa.Column('phone_digest', sa.String(length=64), nullable=True))
    for row in connection.execute(sa.select(failures.c.id, failures.c.phone)).all():
        connection.execute(
            failures.update()
            .where(failures.c.id == row.id)
            .values(phone_digest=cipher.lookup_hash(f'phone:{row.phone}'))
        )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.alter_column('phone_digest', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('phone')
        batch_op.create_index(
            'ix_login_failures_address_at_phone', ['address', 'at', 'phone_digest'], unique=False
        )


def downgrade():
    cipher = _cipher()
    connection = op.get_bind()
    # Failures keep no phone to go back to; they are only a fifteen-minute throttle.
    op.execute(failures.delete())
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_address_at_phone')
        batch_op.drop_column('phone_digest')
        batch_op.add_column(
            sa.Column('phone', sa.String(length=32), nullable=False, server_default='')
        )
        batch_op.create_index(
            'ix_login_failures_address_at_phone', ['address', 'at', 'phone'], unique=False
        )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=32), server_default=None)

    for row in connection.execute(sa.select(users.c.id, users.c.phone)).all():
        connection.execute(
            users.update().where(users.c.id == row.id).values(phone=cipher.decrypt(row.phone))
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_phone_digest'), type_='unique')
        batch_op.drop_column('phone_digest')
        batch_op.alter_column('phone', existing_type=sa.Text(), type_=sa.String(length=11))
        batch_op.create_unique_constraint(batch_op.f('uq_users_phone'), ['phone'])
