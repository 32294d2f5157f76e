"""policy versions as data, minimum wages added by admins (contract v1.1 "Living policies")

``subsidy_policy_versions`` held the first sighting of each policy file's hash; it now holds each
version's text with its status (draft, published, superseded). The old rows carry no text, and
each of them is already an audit event (``policy.published`` with its hash), so the table is
made anew: the files in the code become version 1, published, the first time the service reads
its policies (written with their audit events, which a migration cannot sign). The downgrade
writes back one row per hash that was published.

Flags record the version of the policy whose proposal they hold; every flag stored so far was
raised under the files, that is version 1.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
# 0031 is this branch's head (invitations); the chain is straightened where the branches merge.
down_revision = "0032"
branch_labels = None
depends_on = None


def _old_versions_table() -> None:
    op.create_table(
        "subsidy_policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_policy_versions")),
        sa.UniqueConstraint(
            "policy_id",
            "content_hash",
            name=op.f("uq_subsidy_policy_versions_policy_id_content_hash"),
        ),
    )


def _new_versions_table() -> None:
    op.create_table(
        "subsidy_policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'superseded')",
            name=op.f("ck_subsidy_policy_versions_status_known"),
        ),
        sa.CheckConstraint(
            "version >= 1", name=op.f("ck_subsidy_policy_versions_version_positive")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_subsidy_policy_versions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["users.id"],
            name=op.f("fk_subsidy_policy_versions_published_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_policy_versions")),
        sa.UniqueConstraint(
            "policy_id", "version", name=op.f("uq_subsidy_policy_versions_policy_id_version")
        ),
    )
    # One published version a policy at a time, held by the database.
    op.create_index(
        "uq_subsidy_policy_versions_one_published",
        "subsidy_policy_versions",
        ["policy_id"],
        unique=True,
        sqlite_where=sa.text("status = 'published'"),
        postgresql_where=sa.text("status = 'published'"),
    )


def upgrade():
    op.drop_table("subsidy_policy_versions")
    _new_versions_table()
    op.create_table(
        "minimum_wages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("monthly", sa.BigInteger(), nullable=False),
        sa.Column("hourly", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("monthly > 0 AND hourly > 0", name=op.f("ck_minimum_wages_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_minimum_wages_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minimum_wages")),
        sa.UniqueConstraint(
            "city", "effective_from", name=op.f("uq_minimum_wages_city_effective_from")
        ),
    )
    # Plain ALTER TABLE (no batch rebuild of the flags); every flag so far is of version 1.
    op.add_column(
        "subsidy_flags",
        sa.Column("policy_version", sa.Integer(), server_default="1", nullable=False),
    )


def downgrade():
    op.drop_column("subsidy_flags", "policy_version")
    op.drop_table("minimum_wages")
    published = sa.table(
        "subsidy_policy_versions",
        sa.column("policy_id", sa.String()),
        sa.column("city", sa.String()),
        sa.column("sha256", sa.String()),
        sa.column("status", sa.String()),
        sa.column("published_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer()),
    )
    rows = op.get_bind().execute(
        sa.select(
            published.c.policy_id, published.c.city, published.c.sha256, published.c.published_at
        )
        .where(published.c.status != "draft")
        .order_by(published.c.policy_id, published.c.version)
    )
    # The old table knew each hash once, from its first sighting.
    seen: dict[tuple[str, str], dict[str, object]] = {}
    for policy_id, city, sha256, published_at in rows:
        seen.setdefault(
            (policy_id, sha256),
            {
                "policy_id": policy_id,
                "city": city,
                "content_hash": sha256,
                "first_seen_at": published_at,
            },
        )
    op.drop_index("uq_subsidy_policy_versions_one_published", "subsidy_policy_versions")
    op.drop_table("subsidy_policy_versions")
    _old_versions_table()
    if seen:
        old = sa.table(
            "subsidy_policy_versions",
            sa.column("policy_id", sa.String()),
            sa.column("city", sa.String()),
            sa.column("content_hash", sa.String()),
            sa.column("first_seen_at", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(old, list(seen.values()))
