"""Notes the bot writes (no staff member) and an index for a person's own escalations (reopening after a close).

Revision ID: dropped11
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dropped11"
down_revision = "people11"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalation_notes", schema=None) as batch_op:
        batch_op.alter_column("staff_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_contact", ["contact_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index("ix_escalations_contact")
    op.execute("DELETE FROM escalation_notes WHERE staff_id IS NULL")
    with op.batch_alter_table("escalation_notes", schema=None) as batch_op:
        batch_op.alter_column("staff_id", existing_type=sa.Integer(), nullable=False)
