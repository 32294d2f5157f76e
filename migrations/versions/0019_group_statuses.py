"""group statuses: a worker's groups as periods with an official's check (contract v1.1)

Each worker's profile dates become declared statuses (the v1 dates are the worker's own
declarations); decided flags stay as they are.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 16:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

FIELDS = {
    'unemployment_registered_on': 'unemployed',
    'difficulty_certified_on': 'difficulty',
    'graduated_on': 'graduate',
}


def upgrade():
    statuses = op.create_table('group_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('group_name', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("group_name IN ('unemployed', 'difficulty', 'graduate')", name=op.f('ck_group_statuses_group_known')),
    sa.CheckConstraint("status IN ('declared', 'verified', 'rejected')", name=op.f('ck_group_statuses_status_known')),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on', name=op.f('ck_group_statuses_ends_after_start')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_group_statuses_decided_by_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_group_statuses_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_statuses')),
    sa.UniqueConstraint('worker_id', 'group_name', name=op.f('uq_group_statuses_worker_id_group_name'))
    )
    with op.batch_alter_table('group_statuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_statuses_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_statuses_worker_id'), ['worker_id'], unique=False)

    workers = sa.table(
        'workers', sa.column('id', sa.Integer()), *(sa.column(f, sa.Date()) for f in FIELDS)
    )
    now = datetime.now(timezone.utc)
    connection = op.get_bind()
    for field, group in FIELDS.items():
        rows = connection.execute(
            sa.select(workers.c.id, workers.c[field]).where(workers.c[field].is_not(None))
        ).all()
        if rows:
            op.bulk_insert(statuses, [
                {'worker_id': worker_id, 'group_name': group, 'started_on': day,
                 'status': 'declared', 'created_at': now, 'updated_at': now}
                for worker_id, day in rows
            ])


def downgrade():
    # The profile dates stay on the workers: what the statuses add (checks, ends) is dropped.
    with op.batch_alter_table('group_statuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_statuses_worker_id'))
        batch_op.drop_index(batch_op.f('ix_group_statuses_status'))
    op.drop_table('group_statuses')
