"""the signal of a pending flag the rules no longer propose is no_longer_proposed (contract v1.1)

Stored flags carry their risk signals as "<code>: <说明>"; the code of this one was
no_longer_supported. Its text stays, and so does each flag's fingerprint (a flag the rules
propose again is rewritten by the next evaluation anyway).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

FLAGS = sa.table('subsidy_flags', sa.column('id', sa.Integer()), sa.column('risk_signals', sa.JSON()))


def _recode(old: str, new: str) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(FLAGS.c.id, FLAGS.c.risk_signals).where(
            sa.cast(FLAGS.c.risk_signals, sa.Text).like(f'%{old}:%')
        )
    ).all()
    for flag_id, signals in rows:
        if not any(signal.startswith(f'{old}:') for signal in signals or []):
            continue
        recoded = [new + signal[len(old):] if signal.startswith(f'{old}:') else signal for signal in signals]
        connection.execute(FLAGS.update().where(FLAGS.c.id == flag_id).values(risk_signals=recoded))


def upgrade():
    _recode('no_longer_supported', 'no_longer_proposed')


def downgrade():
    _recode('no_longer_proposed', 'no_longer_supported')
