"""contacts: where the person last said they are

Revision ID: people11
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "people11"
down_revision = "scale16"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_country", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("place_city", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("place_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("place_at")
        batch_op.drop_column("place_city")
        batch_op.drop_column("place_country")
