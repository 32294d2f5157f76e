"""ID numbers that cannot be rebuilt from columns in clear: the 4 + 2 mask and the birth year

The first release stored the 6 + 4 mask beside the birth date: together, the whole number. Now
only the first 4 and last 2 characters and the birth year stay in clear; the holder's own view
is read from the ciphertext. The downgrade needs the ID key (from the app's configuration) to
read the birth dates back.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

workers = sa.table(
    'workers',
    sa.column('id', sa.Integer),
    sa.column('id_number_ciphertext', sa.Text),
    sa.column('id_number_masked', sa.String),
    sa.column('birth_date', sa.Date),
    sa.column('birth_year', sa.Integer),
)


def upgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_year', sa.Integer(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(workers.c.id, workers.c.id_number_masked, workers.c.birth_date)
    ).all()
    for row in rows:
        connection.execute(
            workers.update()
            .where(workers.c.id == row.id)
            .values(
                birth_year=row.birth_date.year,
                id_number_masked=row.id_number_masked[:4] + '*' * 12 + row.id_number_masked[-2:],
            )
        )
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.alter_column('birth_year', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('birth_date')


def downgrade():
    from flask import current_app

    from marketplace.common.crypto import FieldCipher
    from marketplace.common.ids import birth_date_of, holder_mask

    cipher = FieldCipher(
        current_app.config['ID_KEY'], tuple(current_app.config.get('ID_KEY_RETIRED', ()))
    )
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(workers.c.id, workers.c.id_number_ciphertext)).all()
    for row in rows:
        number = cipher.decrypt(row.id_number_ciphertext)
        connection.execute(
            workers.update()
            .where(workers.c.id == row.id)
            .values(birth_date=birth_date_of(number), id_number_masked=holder_mask(number))
        )
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.alter_column('birth_date', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('birth_year')
