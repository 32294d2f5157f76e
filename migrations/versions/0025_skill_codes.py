"""skills become codes of the catalogue (contract v1.1 "Skills catalogue")

Free tags before: the same skill under several names (elder_care / elderly_care, waiting /
catering, 电工证 / electrician). Each known name becomes its code; a tag the catalogue does not
know is dropped (it matched no job's requirement but its own spelling). Going down keeps the
codes (valid free tags before); the dropped tags do not come back.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

RENAMED = {
    'elder_care': 'elderly_care',
    'waiting': 'catering',
    '电工证': 'electrician',
    '电工': 'electrician',
    '叉车证': 'forklift',
    '叉车': 'forklift',
}
# The catalogue as this revision knows it (marketplace/workers/skills.py may grow later).
CODES = (
    'cleaning', 'delivery', 'elderly_care', 'catering', 'moving', 'childcare', 'security',
    'warehouse', 'retail', 'driving', 'cooking', 'housekeeping', 'gardening', 'construction',
    'noodle_making', 'embroidery', 'electrician', 'forklift',
)
TABLES = (('worker_skills', 'worker_id'), ('job_skills', 'job_id'))


def _rename(table: str, owner: str, old: str, new: str) -> None:
    rows = sa.table(table, sa.column(owner, sa.Integer()), sa.column('skill', sa.String()))
    already = sa.select(rows.c[owner]).where(rows.c.skill == new)
    op.execute(
        rows.insert().from_select(
            [owner, 'skill'],
            sa.select(rows.c[owner], sa.literal(new))
            .where(rows.c.skill == old, rows.c[owner].not_in(already))
            .distinct(),
        )
    )
    op.execute(rows.delete().where(rows.c.skill == old))


def upgrade():
    for table, owner in TABLES:
        for old, new in RENAMED.items():
            _rename(table, owner, old, new)
        rows = sa.table(table, sa.column('skill', sa.String()))
        op.execute(rows.delete().where(rows.c.skill.not_in(CODES)))


def downgrade():
    # The codes are valid free tags of the older schema: nothing to undo.
    pass
