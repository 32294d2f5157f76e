"""disbursements: an approved flag is marked paid, once, with its voucher

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 15:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subsidy_flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disbursed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('voucher', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('disbursed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('disbursed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_subsidy_flags_disbursed_by_users'), 'users', ['disbursed_by'], ['id']
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_subsidy_flags_disbursed_when_approved'),
            "disbursed_on IS NULL OR (status = 'approved' AND voucher IS NOT NULL)",
        )


def downgrade():
    with op.batch_alter_table('subsidy_flags', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('ck_subsidy_flags_disbursed_when_approved'), type_='check'
        )
        batch_op.drop_constraint(
            batch_op.f('fk_subsidy_flags_disbursed_by_users'), type_='foreignkey'
        )
        batch_op.drop_column('disbursed_by')
        batch_op.drop_column('disbursed_at')
        batch_op.drop_column('voucher')
        batch_op.drop_column('disbursed_on')
