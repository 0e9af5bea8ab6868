"""campaigns: dissemination campaigns, their recipients, subscribers' regency and topics, and
the outbox's campaign rows (bulk) with a "cancelled" status

Revision ID: campaign14
Revises: dropped11
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "campaign14"
down_revision = "dropped11"
branch_labels = None
depends_on = None

OLD = ("pending", "sending", "sent", "held", "dead")
NEW = (*OLD, "cancelled")


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="ck_outboxstatus", native_enum=False, create_constraint=True, length=32)


def _check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text_id", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("content_item", sa.String(length=64), nullable=True),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("scheduled", "sending", "done", "cancelled", name="ck_campaignstatus", native_enum=False,
                    create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("send_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("wa_template_sid", sa.String(length=64), nullable=True),
        sa.Column("wa_template_vars", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=True),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("audience", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table with the new one.
        with op.batch_alter_table("outbox", recreate="always") as batch_op:
            batch_op.alter_column("status", existing_type=_status(OLD), type_=_status(NEW), existing_nullable=False)
            batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key("fk_outbox_campaign", "campaigns", ["campaign_id"], ["id"], ondelete="SET NULL")
            batch_op.create_index("ix_outbox_campaign", ["campaign_id", "status"], unique=False)
    else:
        op.drop_constraint("ck_outboxstatus", "outbox", type_="check")
        op.create_check_constraint("ck_outboxstatus", "outbox", _check(NEW))
        op.add_column("outbox", sa.Column("campaign_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_outbox_campaign", "outbox", "campaigns", ["campaign_id"], ["id"], ondelete="SET NULL")
        op.create_index("ix_outbox_campaign", "outbox", ["campaign_id", "status"], unique=False)
    op.create_table(
        "campaign_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.String(length=16), nullable=True),
        sa.Column("queued_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "contact_id", name="uq_campaign_recipients"),
    )
    op.create_index("ix_campaign_recipients_contact_id", "campaign_recipients", ["contact_id"], unique=False)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sub_regency", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("sub_country", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("sub_topics", sa.JSON(), server_default="[]", nullable=False))
        batch_op.create_index("ix_contacts_sub_regency", ["sub_regency"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_sub_regency")
        batch_op.drop_column("sub_topics")
        batch_op.drop_column("sub_country")
        batch_op.drop_column("sub_regency")
    op.drop_index("ix_campaign_recipients_contact_id", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.execute("UPDATE outbox SET status = 'dead' WHERE status = 'cancelled'")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("outbox", recreate="always") as batch_op:
            batch_op.drop_index("ix_outbox_campaign")
            batch_op.drop_constraint("fk_outbox_campaign", type_="foreignkey")
            batch_op.drop_column("campaign_id")
            batch_op.alter_column("status", existing_type=_status(NEW), type_=_status(OLD), existing_nullable=False)
    else:
        op.drop_index("ix_outbox_campaign", table_name="outbox")
        op.drop_constraint("fk_outbox_campaign", "outbox", type_="foreignkey")
        op.drop_column("outbox", "campaign_id")
        op.drop_constraint("ck_outboxstatus", "outbox", type_="check")
        op.create_check_constraint("ck_outboxstatus", "outbox", _check(OLD))
    op.drop_table("campaigns")
