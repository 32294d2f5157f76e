"""job-post review and reports (contract v1.1 "Job-post review and reports")

Every job has a review status (published, held, rejected) with the reasons of a hold; workers'
reports of a job, one per worker. Existing jobs are published.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# Plain ALTER TABLE (SQLite adds and drops columns in place): a batch rebuild would drop the
# jobs table that shifts and bookings point at.


def upgrade():
    op.add_column(
        'jobs',
        sa.Column('review_status', sa.String(length=16), nullable=False, server_default='published'),
    )
    op.add_column('jobs', sa.Column('review_reasons', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('jobs', sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('jobs', sa.Column('review_note', sa.Text(), nullable=True))
    op.create_index('ix_jobs_city_review_status', 'jobs', ['city', 'review_status'], unique=False)
    op.create_table(
        'job_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('fee', 'fake', 'wage', 'unsafe', 'other')",
            name=op.f('ck_job_reports_reason_known'),
        ),
        sa.ForeignKeyConstraint(
            ['job_id'], ['jobs.id'], name=op.f('fk_job_reports_job_id_jobs'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['worker_id'],
            ['workers.id'],
            name=op.f('fk_job_reports_worker_id_workers'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_reports')),
        sa.UniqueConstraint('job_id', 'worker_id', name=op.f('uq_job_reports_job_id_worker_id')),
    )


def downgrade():
    op.drop_table('job_reports')
    op.drop_index('ix_jobs_city_review_status', table_name='jobs')
    op.drop_column('jobs', 'review_note')
    op.drop_column('jobs', 'reviewed_at')
    op.drop_column('jobs', 'review_reasons')
    op.drop_column('jobs', 'review_status')
