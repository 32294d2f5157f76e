"""the end of each held group status on the worker's row, for matching and the statistics

The rules read a status through its end month; matching's priority and the monthly statistics
read the worker's row, which held the start dates only. The ends are copied from the statuses
that hold (a rejected status never does).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 17:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

GROUPS = ('unemployed', 'difficulty', 'graduate')
STATUSES = sa.table(
    'group_statuses',
    sa.column('worker_id', sa.Integer()),
    sa.column('group_name', sa.String()),
    sa.column('status', sa.String()),
    sa.column('ended_on', sa.Date()),
)
WORKERS = sa.table('workers', sa.column('id', sa.Integer()), *(sa.column(f'{group}_ends_on', sa.Date()) for group in GROUPS))


# Plain ALTER TABLE, not batch mode: SQLite (3.35 and later) adds and drops a column in place,
# where a batch rebuild would drop the workers table that other tables' rows point at.


def upgrade():
    for group in GROUPS:
        op.add_column('workers', sa.Column(f'{group}_ends_on', sa.Date(), nullable=True))
    connection = op.get_bind()
    for group in GROUPS:
        ended = (
            sa.select(STATUSES.c.ended_on)
            .where(
                STATUSES.c.worker_id == WORKERS.c.id,
                STATUSES.c.group_name == group,
                STATUSES.c.status != 'rejected',
            )
            .scalar_subquery()
        )
        connection.execute(sa.update(WORKERS).values({f'{group}_ends_on': ended}))


def downgrade():
    for group in GROUPS:
        op.drop_column('workers', f'{group}_ends_on')
