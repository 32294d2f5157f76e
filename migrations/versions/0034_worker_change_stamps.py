"""workers.change_stamp, set by the database on every write of a worker (#19)

Matching's in-process index asked for the workers of a city stamped (``updated_at``) since its
last look less a minute, for transactions that began before the look and commit after it: after
a bulk load every request re-read a minute's worth of changed workers. The change stamp makes
the feed exact instead. The database sets it on every insert and update, whoever writes (the
ORM, bulk statements, seeds, imports), so triggers set it:

* PostgreSQL: the writing transaction's id (``pg_current_xact_id()``), which the index compares
  with the oldest transaction still running when it last looked;
* SQLite (one writer at a time): a counter of changes, one row of ``worker_change_counter``,
  which the index reads before it reads workers.

``(city, change_stamp)`` replaces ``(city, updated_at)``, which only the index's feed used. The
rows already stored are stamped 0: written before any look can have been taken.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-12 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

POSTGRESQL_FUNCTION = """
CREATE FUNCTION stamp_worker_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_stamp := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$
"""
POSTGRESQL_TRIGGER = """
CREATE TRIGGER workers_change_stamp BEFORE INSERT OR UPDATE ON workers
FOR EACH ROW EXECUTE FUNCTION stamp_worker_change()
"""

# SQLite's triggers cannot assign NEW: they count the change, then write the count to the row.
# That write is an update of the row too; its change_stamp moved, which the WHEN clause skips.
SQLITE_STAMP = """
BEGIN
    UPDATE worker_change_counter SET value = value + 1 WHERE id = 1;
    UPDATE workers SET change_stamp = (SELECT value FROM worker_change_counter WHERE id = 1)
    WHERE id = NEW.id;
END
"""
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER workers_change_stamp_insert AFTER INSERT ON workers {SQLITE_STAMP}",
    "CREATE TRIGGER workers_change_stamp_update AFTER UPDATE ON workers "
    f"WHEN NEW.change_stamp IS OLD.change_stamp {SQLITE_STAMP}",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    # The counter table exists on both databases, so that both hold the models' schema;
    # PostgreSQL stamps with transaction ids and leaves it at 0.
    counter = op.create_table(
        "worker_change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_worker_change_counter_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_change_counter")),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])
    # Plain ALTER TABLE (no batch rebuild of workers): the existing rows are stamped 0.
    op.add_column(
        "workers",
        sa.Column("change_stamp", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.drop_index("ix_workers_city_updated_at", table_name="workers")
    op.create_index("ix_workers_city_change_stamp", "workers", ["city", "change_stamp"])
    if dialect == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER workers_change_stamp ON workers")
        op.execute("DROP FUNCTION stamp_worker_change()")
    else:
        op.execute("DROP TRIGGER workers_change_stamp_update")
        op.execute("DROP TRIGGER workers_change_stamp_insert")
    op.drop_index("ix_workers_city_change_stamp", table_name="workers")
    op.create_index("ix_workers_city_updated_at", "workers", ["city", "updated_at"])
    op.drop_column("workers", "change_stamp")
    op.drop_table("worker_change_counter")
