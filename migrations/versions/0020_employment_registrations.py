"""employment registrations: registered at once on the worker's commitment (就业登记承诺制)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('employment_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("form IN ('flexible', 'employed', 'self_employed')", name=op.f('ck_employment_registrations_form_known')),
    sa.CheckConstraint("status IN ('registered', 'revoked')", name=op.f('ck_employment_registrations_status_known')),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on', name=op.f('ck_employment_registrations_ends_after_start')),
    sa.CheckConstraint("(form = 'employed') = (employer_id IS NOT NULL)", name=op.f('ck_employment_registrations_employer_iff_employed')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_employment_registrations_employer_id_employers')),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], name=op.f('fk_employment_registrations_revoked_by_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_employment_registrations_worker_id_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employment_registrations'))
    )
    with op.batch_alter_table('employment_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employment_registrations_worker_id'), ['worker_id'], unique=False)


def downgrade():
    with op.batch_alter_table('employment_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employment_registrations_worker_id'))
    op.drop_table('employment_registrations')
