"""a job's series rule (contract v1.1 "Repeat work", Series)

A job posted with ``repeat`` keeps the weekly rule that made its shifts; other jobs have none.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 21:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
# The other v1.1 branches add 0030 and 0031; the chain is put in order when they merge.
down_revision = "0031"
branch_labels = None
depends_on = None

# Plain ALTER TABLE (SQLite adds and drops columns in place): a batch rebuild would drop the
# jobs table that shifts and bookings point at.


def upgrade():
    op.add_column("jobs", sa.Column("repeat", sa.JSON(none_as_null=True), nullable=True))


def downgrade():
    op.drop_column("jobs", "repeat")
