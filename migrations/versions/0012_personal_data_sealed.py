"""personal data sealed: workers' names encrypted, homes kept to about a hundred metres

A copy of the database should not tell who a worker is or where they live. Names are stored
encrypted under the ID key (read from the app's configuration: migrations run inside it), and a
home base to three decimal places of a degree. The downgrade decrypts the names; the finer homes
are gone.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:00:00.000000

"""
import math

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

workers = sa.table(
    'workers',
    sa.column('id', sa.Integer),
    sa.column('name', sa.Text),
    sa.column('lat', sa.Float),
    sa.column('lon', sa.Float),
    sa.column('cell', sa.Integer),
)


def _cipher():
    from flask import current_app

    from marketplace.common.crypto import FieldCipher

    config = current_app.config
    return FieldCipher(config['ID_KEY'], tuple(config.get('ID_KEY_RETIRED', ())))


def _cell(lat, lon):
    # marketplace.common.geo.cell_of as of this revision: 0.01° cells, 36,000 a row.
    row = math.floor((min(max(lat, -90.0), 90.0) + 90.0) / 0.01)
    column = math.floor((min(max(lon, -180.0), 180.0) + 180.0) / 0.01)
    return row * 36_000 + column


def upgrade():
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sa.String(length=50), type_=sa.Text())
    connection = op.get_bind()
    cipher = _cipher()
    rows = connection.execute(
        sa.select(workers.c.id, workers.c.name, workers.c.lat, workers.c.lon)
    ).all()
    for row in rows:
        lat, lon = round(row.lat, 3), round(row.lon, 3)
        connection.execute(
            workers.update()
            .where(workers.c.id == row.id)
            .values(name=cipher.encrypt(row.name), lat=lat, lon=lon, cell=_cell(lat, lon))
        )


def downgrade():
    connection = op.get_bind()
    cipher = _cipher()
    rows = connection.execute(sa.select(workers.c.id, workers.c.name)).all()
    for row in rows:
        connection.execute(
            workers.update().where(workers.c.id == row.id).values(name=cipher.decrypt(row.name))
        )
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sa.Text(), type_=sa.String(length=50))
