"""outbox: a 'sending' status with the attempt time, and failures counted apart from tries

Revision ID: outbox15
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "outbox15"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD = ("pending", "sent", "held", "dead")
NEW = ("pending", "sending", "sent", "held", "dead")


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="ck_outboxstatus", native_enum=False, create_constraint=True, length=32)


def _check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table with the new one.
        with op.batch_alter_table("outbox", recreate="always") as batch_op:
            batch_op.alter_column("status", existing_type=_status(OLD), type_=_status(NEW), existing_nullable=False)
            batch_op.add_column(sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
            batch_op.add_column(
                sa.Column("attempted_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True)
            )
        return
    op.drop_constraint("ck_outboxstatus", "outbox", type_="check")
    op.create_check_constraint("ck_outboxstatus", "outbox", _check(NEW))
    op.add_column("outbox", sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
    op.add_column("outbox", sa.Column("attempted_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("outbox", recreate="always") as batch_op:
            batch_op.drop_column("attempted_at")
            batch_op.drop_column("failures")
            batch_op.alter_column("status", existing_type=_status(NEW), type_=_status(OLD), existing_nullable=False)
        return
    op.drop_column("outbox", "attempted_at")
    op.drop_column("outbox", "failures")
    op.drop_constraint("ck_outboxstatus", "outbox", type_="check")
    op.create_check_constraint("ck_outboxstatus", "outbox", _check(OLD))
