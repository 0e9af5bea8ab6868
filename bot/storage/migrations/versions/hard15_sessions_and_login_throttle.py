"""staff session epoch; failed sign-ins per source address

Revision ID: hard15
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "hard15"
down_revision = 'desk13'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_source", "login_failures", ["source", "at"])
    op.create_index("ix_login_failures_staff", "login_failures", ["staff_id", "at"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])


def downgrade() -> None:
    op.drop_table("login_failures")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("session_epoch")
