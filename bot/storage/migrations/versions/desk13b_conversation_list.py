"""The case list pages escalations without a report by time: the case index gains opened_at and id.

Revision ID: desk13b_conversation_list
Revises: campaign14
"""

from __future__ import annotations

from alembic import op

revision = "desk13b_conversation_list"
down_revision = "campaign14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_case_opened", ["case_id", "opened_at", "id"], unique=False)
        batch_op.drop_index("ix_escalations_case")


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_case", ["case_id"], unique=False)
        batch_op.drop_index("ix_escalations_case_opened")
