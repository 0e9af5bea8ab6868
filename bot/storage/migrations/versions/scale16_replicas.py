"""job runs claimed once across replicas; leases for one-replica work

Revision ID: scale16
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "scale16"
down_revision = 'hard15'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("run_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replica", sa.String(length=96), nullable=False),
        sa.Column("started_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "run_at", name="uq_job_runs_job_run_at"),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=96), nullable=False),
        sa.Column("expires_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("job_runs")
