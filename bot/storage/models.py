"""Database tables (SQLAlchemy 2). Schema changes go through Alembic migrations in bot/migrations."""

from __future__ import annotations

import enum
import functools
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    insert,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.dml import ReturningInsert


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use bot.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def without_nul(value: Any) -> Any:
    """`value` with every NUL character removed, in strings nested in lists and dicts too."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


class CleanString(TypeDecorator[str]):
    """A string column that never receives NUL characters.

    PostgreSQL text cannot hold NUL (SQLite can), and people or probes do send it (a Telegram
    `\u0000`, a Twilio `%00`): without this the message, urgent or not, fails to store on every
    redelivery. Every text and JSON column uses these types, so this is the one place that cleans.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return without_nul(value)


class CleanText(CleanString):
    impl = Text
    cache_ok = True


class CleanJSON(TypeDecorator[Any]):
    """JSON whose strings (keys and values) never hold NUL characters: see CleanString."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return without_nul(value)


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as the value string with a CHECK constraint: portable across SQLite and PostgreSQL.
    return Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        name=f"ck_{cls.__name__.lower()}",
    )


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: CleanJSON(), list[Any]: CleanJSON()}


class ConversationState(enum.StrEnum):
    IDLE = "idle"
    IN_FLOW = "in_flow"
    WITH_STAFF = "with_staff"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (maybe after a backoff)
    # A request to the channel is (or was, if the process died) in flight since attempted_at; the
    # row is leased until next_attempt_at, and a live sender keeps extending that lease.
    SENDING = "sending"
    SENT = "sent"  # accepted by the channel
    HELD = "held"  # cannot be sent now (WhatsApp 24-hour window, no template); visible to staff
    DEAD = "dead"  # gave up after max attempts; an operator alert was logged
    # A campaign message that must not go any more: the campaign was cancelled or the person opted
    # out before their turn came (bot/campaigns).
    CANCELLED = "cancelled"


class Priority(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2}


class EscalationStatus(enum.StrEnum):
    OPEN = "open"  # waiting for a staff member
    CLAIMED = "claimed"  # a staff member owns it
    CLOSED = "closed"


class StaffRole(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class CaseKind(enum.StrEnum):
    MISSING_PERSON = "missing_person"
    TRAFFICKING = "trafficking"


class CaseStatus(enum.StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    REFERRED = "referred"
    CLOSED = "closed"


class ReferralStatus(enum.StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"


class AgencyStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Contact(Base):
    """A person on one channel (a Telegram user, a WhatsApp number, a local chat)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_contacts_channel_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(CleanString(16))
    external_id: Mapped[str] = mapped_column(CleanString(64))
    display_name: Mapped[str | None] = mapped_column(CleanString(128))
    # None until the person chooses; the bot then remembers it.
    language: Mapped[str | None] = mapped_column(CleanString(2))
    # When the person agreed to having a report's personal data stored (UU PDP 27/2022).
    consent_at: Mapped[datetime | None]
    subscribed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # WhatsApp's 24-hour window is counted from the person's last message.
    last_inbound_at: Mapped[datetime | None]
    # Where the person last said they are (bot/understanding/places.py) and when: urgent replies and
    # contact answers lead with the numbers that work there. Erased with the rest on request.
    place_country: Mapped[str | None] = mapped_column(CleanString(32))
    place_city: Mapped[str | None] = mapped_column(CleanString(32))
    place_at: Mapped[datetime | None]
    # What a subscriber asked to hear about (bot/campaigns/audience.py), all optional: the
    # kabupaten/kota of West Kalimantan they live in or "abroad" (with the country), and topics.
    sub_regency: Mapped[str | None] = mapped_column(CleanString(32), index=True)
    sub_country: Mapped[str | None] = mapped_column(CleanString(32))
    sub_topics: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")

    conversation: Mapped[Conversation] = relationship(back_populates="contact", uselist=False)


class Conversation(Base):
    """What the bot is doing with one contact; survives restarts."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    state: Mapped[ConversationState] = mapped_column(_enum(ConversationState), default=ConversationState.IDLE)
    flow: Mapped[str | None] = mapped_column(CleanString(48))
    step: Mapped[str | None] = mapped_column(CleanString(48))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Buttons last offered, so "2" typed on WhatsApp or local chat means the second button.
    offered: Mapped[list[Any]] = mapped_column(default=list)
    clarify_count: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="conversation")


class Message(Base):
    """Every message in or out, as the transcript staff read."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "channel_message_id", name="uq_messages_channel_message"),
        Index("ix_messages_contact_created", "contact_id", "created_at"),
        # Covers the dashboard's people, messages and topics by date.
        Index("ix_messages_created", "created_at", "direction", "contact_id", "intent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    channel: Mapped[str] = mapped_column(CleanString(16))
    # Inbound: the channel's id (de-duplication key). Outbound: the provider's id once sent.
    channel_message_id: Mapped[str | None] = mapped_column(CleanString(128))
    kind: Mapped[str] = mapped_column(CleanString(16), default="text")
    text: Mapped[str | None] = mapped_column(CleanText())
    media: Mapped[list[Any]] = mapped_column(default=list)
    intent: Mapped[str | None] = mapped_column(CleanString(48))
    confidence: Mapped[float | None] = mapped_column(Float)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    route: Mapped[str | None] = mapped_column(CleanString(96))
    # "bot", or "staff:<id>" for replies written in the console.
    author: Mapped[str | None] = mapped_column(CleanString(32))
    delivery_status: Mapped[str | None] = mapped_column(CleanString(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxItem(Base):
    """A reply stored before it is sent; the sender drains these in order per chat."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_chat", "channel", "chat_id", "id"),
        Index("ix_outbox_campaign", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(CleanString(16))
    chat_id: Mapped[str] = mapped_column(CleanString(64))
    text: Mapped[str] = mapped_column(CleanText())
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    # Channel-specific extras (e.g. a Telegram reply_to, a Twilio content template).
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default=OutboxStatus.PENDING)
    # Tries that reached the channel (a 429 "too fast" gives its try back).
    attempts: Mapped[int] = mapped_column(default=0)
    # Tries that failed by an unexpected error of the bot's own sending code; outbox.max_attempts of
    # them make the row dead. A channel being down never counts here.
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    # Pending: when the row is due. Sending: when its lease runs out.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the last request to the channel began: per-chat spacing is measured from it, in every process.
    attempted_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(CleanText())
    provider_message_id: Mapped[str | None] = mapped_column(CleanString(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # A dissemination campaign's message (bulk): sent after people's replies, never twice (a row in
    # doubt after a crash is not sent again), cancelled when the person opts out.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))

    # Set instead of message_id when both are new: one flush inserts the transcript line and the row.
    message: Mapped[Message | None] = relationship()


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(CleanString(64), unique=True)
    password_hash: Mapped[str] = mapped_column(CleanString(255))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole), default=StaffRole.AGENT)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Signed into every session cookie; raising it ends all of this account's sessions (sign-out,
    # password reset, role change, deactivation), on every replica at once.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")


class LoginFailure(Base):
    """A failed console sign-in, counted per source address and per account (bot.hotline.staff)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_source", "source", "at"),
        Index("ix_login_failures_staff", "staff_id", "at"),
        Index("ix_login_failures_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(CleanString(64))
    # None when the username does not exist: such guesses still count against their source.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))


class Escalation(Base):
    """A conversation handed to the human hotline queue."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_queue", "status", "priority", "opened_at"),
        # A case's escalations; and, newest first, those without a report (case_id NULL) for the case list.
        Index("ix_escalations_case_opened", "case_id", "opened_at", "id"),
        # Covers the dashboard's counts and claim times by date.
        Index("ix_escalations_opened", "opened_at", "priority", "claimed_at", "reply_overdue"),
        # The person's own escalations: the active one, and the one closed lately (reopened when they write back).
        Index("ix_escalations_contact", "contact_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    priority: Mapped[Priority] = mapped_column(_enum(Priority))
    status: Mapped[EscalationStatus] = mapped_column(_enum(EscalationStatus), default=EscalationStatus.OPEN)
    reason: Mapped[str] = mapped_column(CleanString(128))  # e.g. safety:confinement, request_human, case
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    claimed_at: Mapped[datetime | None]
    first_staff_reply_at: Mapped[datetime | None]
    last_staff_reply_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(CleanString(48))
    alert_level: Mapped[int] = mapped_column(default=0)  # 0 none, 1 team re-alerted, 2 supervisors alerted
    reply_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_group_message_id: Mapped[int | None] = mapped_column(BigInteger)

    contact: Mapped[Contact] = relationship()
    claimer: Mapped[Staff | None] = relationship(foreign_keys=[claimed_by])


class EscalationNote(Base):
    """An internal note on an escalation; never sent to the person. No staff_id: the bot wrote it."""

    __tablename__ = "escalation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(CleanText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who saw or did what to personal data (UU PDP 27/2022)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(CleanString(48))
    target_type: Mapped[str | None] = mapped_column(CleanString(32))
    target_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(CleanString(64))


class Case(Base):
    """A report from a guided flow (missing relative, recruiter/trafficking)."""

    __tablename__ = "cases"
    # The case list filters and sorts 100,000s of rows: newest first, within a status, kind, priority.
    __table_args__ = (
        Index("ix_cases_created", "created_at", "id"),
        Index("ix_cases_status_created", "status", "created_at"),
        # Also covers the dashboard's one grouped count (kind, status, regency, country, modus) by date.
        Index("ix_cases_kind_created", "kind", "created_at", "status", "regency", "country", "modus"),
        Index("ix_cases_priority_created", "priority", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(CleanString(24), unique=True)  # KB-2026-000123
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind))
    # The reporter's channel identity: only they may see the status. Kept even for anonymous
    # reports (then the report holds no name or phone of the reporter).
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), default=CaseStatus.NEW)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    consent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # Copied out of `details` so the case list filters and the dashboard count without reading JSON.
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.HIGH)
    regency: Mapped[str | None] = mapped_column(CleanString(32), index=True)  # kabupaten/kota of origin (Kalbar)
    country: Mapped[str | None] = mapped_column(CleanString(32), index=True)  # destination country key
    modus: Mapped[str | None] = mapped_column(CleanString(32))  # trafficking: what was reported
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # Lower-case names, recruiter and phone digits for the staff search; erased with the details.
    search_text: Mapped[str | None] = mapped_column(CleanText())


class CaseChange(Base):
    """One edit of a report's answers by staff: the history the case sheet shows."""

    __tablename__ = "case_changes"
    __table_args__ = (Index("ix_case_changes_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    field: Mapped[str] = mapped_column(CleanString(48))
    before: Mapped[str | None] = mapped_column(CleanText())
    after: Mapped[str | None] = mapped_column(CleanText())
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseNote(Base):
    """An internal note on a case; never sent to the reporter, never in a referral letter."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(CleanText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Referral(Base):
    """A case passed to a partner agency of the task force (config.yml referrals.agencies)."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_case", "case_id"),
        Index("ix_referrals_agency_created", "agency", "created_at"),
        Index("ix_referrals_follow_up", "status", "follow_up_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    agency: Mapped[str] = mapped_column(CleanString(48))  # key in config.yml referrals.agencies
    status: Mapped[ReferralStatus] = mapped_column(_enum(ReferralStatus), default=ReferralStatus.SENT)
    referred_on: Mapped[date] = mapped_column(Date)
    reference_number: Mapped[str | None] = mapped_column(CleanString(100))  # the agency's own number
    contact_person: Mapped[str | None] = mapped_column(CleanString(200))  # at the agency
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    # Set by the follow-up job when the date passed without an answer; cleared by a new date.
    follow_up_alerted_at: Mapped[datetime | None]
    # The reporter agreed (told staff) that the agency may have their name and number.
    share_reporter_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    history: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SavedReply(Base):
    """A ready answer staff insert into a reply; per language, edited by supervisors."""

    __tablename__ = "saved_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(CleanString(2))
    title: Mapped[str] = mapped_column(CleanString(100))
    text: Mapped[str] = mapped_column(CleanText())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobOfferCheck(Base):
    """The verdict of one job-offer check, for the monitoring figures: no text, no person."""

    __tablename__ = "job_offer_checks"
    __table_args__ = (Index("ix_job_offer_checks_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(CleanString(16))  # low | medium | high
    flags: Mapped[list[Any]] = mapped_column(default=list)  # red-flag codes


class Agency(Base):
    """A recruiter (P3MI) from the registry CSV that staff maintain."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(CleanString(200))
    normalized_name: Mapped[str] = mapped_column(CleanString(200), index=True)
    licence_number: Mapped[str | None] = mapped_column(CleanString(100))
    address: Mapped[str | None] = mapped_column(CleanText())
    status: Mapped[AgencyStatus] = mapped_column(_enum(AgencyStatus))
    source: Mapped[str | None] = mapped_column(CleanText())
    updated_on: Mapped[date | None] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobRun(Base):
    """One run of a periodic job, claimed by the replica that runs it (bot/jobs/scheduler.py).

    The unique (job, run_at) is what makes a period run once across replicas: every replica's
    scheduler sees the same scheduled time in the shared job store, and only one insert wins.
    """

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "run_at", name="uq_job_runs_job_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(CleanString(64))
    run_at: Mapped[datetime]  # the scheduled time of this period
    replica: Mapped[str] = mapped_column(CleanString(96))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(CleanString(16))  # ok | failed; None while running


class Lease(Base):
    """Work only one replica may do at a time (Telegram polling or setWebhook), held until expires_at."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(CleanString(64), primary_key=True)
    holder: Mapped[str] = mapped_column(CleanString(96))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waits for send_at
    SENDING = "sending"  # its recipients are being queued, or their messages are being sent
    DONE = "done"  # every recipient queued and every message finished
    CANCELLED = "cancelled"


class Campaign(Base):
    """A reviewed message to chosen subscribers (bot/campaigns). The weekly tip is one too."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(CleanString(120))
    text_id: Mapped[str] = mapped_column(CleanText())
    text_en: Mapped[str | None] = mapped_column(CleanText())
    content_item: Mapped[str | None] = mapped_column(CleanString(64))  # when taken from content/
    # Who gets it: {"regency": key, "language": id|en, "channel": name, "topic": key}; {} is everyone.
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[CampaignStatus] = mapped_column(_enum(CampaignStatus), default=CampaignStatus.SCHEDULED)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    # WhatsApp outside the 24-hour window: only this approved template (Content SID) and its variables.
    wa_template_sid: Mapped[str | None] = mapped_column(CleanString(64))
    wa_template_vars: Mapped[dict[str, Any]] = mapped_column(default=dict)
    origin: Mapped[str] = mapped_column(CleanString(16), default="console")  # console | cli | tips
    # One campaign per key (the weekly tip: one per week, whichever replica creates it).
    dedupe_key: Mapped[str | None] = mapped_column(CleanString(64), unique=True)
    # Recipients are queued in batches in contact order; the last contact queued.
    cursor: Mapped[int] = mapped_column(default=0)
    audience: Mapped[int | None]  # set when every recipient was queued
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class CampaignRecipient(Base):
    """One person a campaign reached or skipped; unique, so nobody is queued twice."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (UniqueConstraint("campaign_id", "contact_id", name="uq_campaign_recipients"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    # Set when nothing was queued or it was withdrawn: window (WhatsApp, no template), opted_out.
    skipped: Mapped[str | None] = mapped_column(CleanString(16))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Set instead of outbox_id when both are new: one flush inserts the row and then this one.
    outbox: Mapped[OutboxItem | None] = relationship()


@functools.cache
def insert_returning_id(model: type[Base]) -> ReturningInsert[tuple[int]]:
    """`INSERT INTO <model's table> ... RETURNING id`, built once: the rows every message writes
    (bot.storage.people, bot.outbox.enqueue) skip the unit of work, which costs several times as much."""
    table = cast(Table, model.__table__)
    return insert(table).returning(table.c.id)
