"""disputes, complaint cases and adjustments (contract v1.1 "Disputes and complaint cases")

An earning may adjust another of the same booking (``adjusts``): a booking keeps one earning of
its own (a partial unique index instead of the unique booking_id) and any number of
adjustments. Disputes, cases and their notes; one unapproved-timesheet alert per booking.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 20:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def _rebuild_earnings(upgrade: bool) -> None:
    """Add ``adjusts`` and swap the unique booking_id for the partial index (or back).

    SQLite cannot drop a constraint in place: the table is rebuilt, and dropping the old one
    would break the alerts that point at it. They wait in a temporary table meanwhile (nothing
    else points at earnings while this runs: disputes and cases are made after, dropped before).
    """
    sqlite = op.get_context().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE alerts_waiting AS SELECT * FROM alerts")
        op.execute("DELETE FROM alerts")
    with op.batch_alter_table("earnings", schema=None) as batch_op:
        if upgrade:
            batch_op.add_column(sa.Column("adjusts", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                op.f("fk_earnings_adjusts_earnings"), "earnings", ["adjusts"], ["id"]
            )
            batch_op.drop_constraint(op.f("uq_earnings_booking_id"), type_="unique")
        else:
            batch_op.drop_constraint(op.f("fk_earnings_adjusts_earnings"), type_="foreignkey")
            batch_op.drop_column("adjusts")
            batch_op.create_unique_constraint(op.f("uq_earnings_booking_id"), ["booking_id"])
    if sqlite:
        op.execute("INSERT INTO alerts SELECT * FROM alerts_waiting")
        op.execute("DROP TABLE alerts_waiting")


def upgrade():
    _rebuild_earnings(True)
    op.create_index(op.f("ix_earnings_adjusts"), "earnings", ["adjusts"], unique=False)
    op.create_index(
        "uq_earnings_booking_own",
        "earnings",
        ["booking_id"],
        unique=True,
        sqlite_where=sa.text("adjusts IS NULL"),
        postgresql_where=sa.text("adjusts IS NULL"),
    )
    op.create_index(
        "uq_alerts_timesheet_booking",
        "alerts",
        ["booking_id"],
        unique=True,
        sqlite_where=sa.text("type = 'unapproved_timesheet'"),
        postgresql_where=sa.text("type = 'unapproved_timesheet'"),
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("earning_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("claimed_hours", sa.BigInteger(), nullable=True),
        sa.Column("claimed_amount", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_by", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("adjustment_id", sa.Integer(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('hours', 'pay', 'other')", name=op.f("ck_disputes_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'resolved', 'escalated')", name=op.f("ck_disputes_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["adjustment_id"], ["earnings.id"], name=op.f("fk_disputes_adjustment_id_earnings")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_disputes_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["earning_id"], ["earnings.id"], name=op.f("fk_disputes_earning_id_earnings")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_disputes_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["responded_by"], ["users.id"], name=op.f("fk_disputes_responded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_disputes_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    op.create_index(op.f("ix_disputes_employer_id"), "disputes", ["employer_id"], unique=False)
    op.create_index(op.f("ix_disputes_worker_id"), "disputes", ["worker_id"], unique=False)
    op.create_index(
        "ix_disputes_status_answer_by", "disputes", ["status", "answer_by"], unique=False
    )
    op.create_index(
        "uq_disputes_booking_live",
        "disputes",
        ["booking_id"],
        unique=True,
        sqlite_where=sa.text("status IN ('open', 'escalated')"),
        postgresql_where=sa.text("status IN ('open', 'escalated')"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("earning_id", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("adjustment_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('dispute', 'wage_arrears', 'unapproved_timesheet')",
            name=op.f("ck_cases_kind_known"),
        ),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_cases_status_known")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'dismissed', 'settled')",
            name=op.f("ck_cases_outcome_known"),
        ),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name=op.f("ck_cases_amount_positive")),
        sa.ForeignKeyConstraint(
            ["adjustment_id"], ["earnings.id"], name=op.f("fk_cases_adjustment_id_earnings")
        ),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_cases_alert_id_alerts")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_cases_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["disputes.id"], name=op.f("fk_cases_dispute_id_disputes")
        ),
        sa.ForeignKeyConstraint(
            ["earning_id"], ["earnings.id"], name=op.f("fk_cases_earning_id_earnings")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_cases_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_cases_resolved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_cases_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_cases_alert_id")),
        sa.UniqueConstraint("dispute_id", name=op.f("uq_cases_dispute_id")),
    )
    op.create_index(op.f("ix_cases_booking_id"), "cases", ["booking_id"], unique=False)
    op.create_index("ix_cases_city_status", "cases", ["city", "status", "opened_at"], unique=False)
    op.create_index(op.f("ix_cases_employer_id"), "cases", ["employer_id"], unique=False)
    op.create_index(op.f("ix_cases_worker_id"), "cases", ["worker_id"], unique=False)
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_case_notes_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_notes_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    op.create_index(op.f("ix_case_notes_case_id"), "case_notes", ["case_id"], unique=False)


def downgrade():
    op.drop_table("case_notes")
    op.drop_table("cases")
    op.drop_table("disputes")
    op.drop_index("uq_alerts_timesheet_booking", table_name="alerts")
    # Adjustments (and their alerts) cannot outlive the column that says what they adjust.
    op.execute(
        "DELETE FROM alerts WHERE earning_id IN (SELECT id FROM earnings WHERE adjusts IS NOT NULL)"
    )
    op.execute("DELETE FROM earnings WHERE adjusts IS NOT NULL")
    op.drop_index("uq_earnings_booking_own", table_name="earnings")
    op.drop_index(op.f("ix_earnings_adjusts"), table_name="earnings")
    _rebuild_earnings(False)
