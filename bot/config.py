"""Settings: config.yml for non-secret settings, the environment for overrides and secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import yaml_text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.yml"
LANGUAGES = ("id", "en")
# Values that mean "nobody set this yet"; refused for SECRET_KEY outside development.
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development", "xxx"}
DEV_SECRET = "development-only-secret-key-not-for-production"


class ConfigError(Exception):
    """Configuration is invalid; the message is one sentence naming the key."""


@dataclass(frozen=True)
class Contact:
    key: str
    label: Mapping[str, str]
    value: str | None
    source: str | None = None


@dataclass(frozen=True)
class NluSettings:
    mode: str  # managed | remote
    url: str | None  # the first of `urls`
    token: str | None
    managed_port: int
    startup_timeout_s: float
    request_timeout_s: float
    confidence_threshold: float
    clarify_limit: int
    recheck_interval_s: float
    project_dir: Path
    # NLU_URL may name several Rasa servers, comma-separated: the bot spreads messages over them and
    # fails over when one does not answer.
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class TelegramSettings:
    token: str | None
    webhook_secret: str | None
    mode: str | None  # webhook | polling | None (no token)
    base_url: str
    staff_group_id: int | None
    max_per_second: float
    per_chat_interval_s: float


@dataclass(frozen=True)
class WhatsAppSettings:
    account_sid: str | None
    auth_token: str | None
    sender: str | None
    api_base_url: str
    max_per_second: float
    reopen_template_sid: str | None
    # Spacing between two messages to the same person, so WhatsApp keeps them in order.
    per_chat_interval_s: float = 1.0

    @property
    def enabled(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.sender)


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int
    base_backoff_s: float
    max_backoff_s: float
    poll_interval_s: float
    # Per-request timeout to a channel's API (Telegram, Twilio); a send that times out is retried.
    send_timeout_s: float = 10.0
    # While a channel is down a reply is retried until it is this old, then dead (config.yml).
    give_up_after_hours: float = 48.0
    # Random extra fraction of each retry delay, so many chats' retries do not arrive at once.
    backoff_jitter: float = 0.2
    # A reply in flight is reserved for its sender this long, renewed while the request runs.
    lease_s: float = 15.0


@dataclass(frozen=True)
class HotlineSettings:
    sla_unclaimed_minutes: float
    sla_supervisor_minutes: float
    sla_reply_minutes: float
    max_failed_logins: int
    lockout_minutes: float
    # Defaults so code that builds HotlineSettings by hand keeps working as keys are added.
    sla_sweep_seconds: float = 30
    session_hours: float = 12
    console_refresh_seconds: float = 4
    # A person writing within this many hours after staff closed their escalation is not dropped.
    reopen_hours: float = 72


@dataclass(frozen=True)
class FlowSettings:
    remind_after_minutes: float
    close_after_minutes: float
    reminder_sweep_seconds: float = 60


@dataclass(frozen=True)
class JobOfferSettings:
    """Heuristics of the job-offer check (config.yml job_offer); see bot/red_flags.py."""

    salary_too_high_idr: Mapping[str, float] = field(default_factory=dict)
    rates_to_idr: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PrivacySettings:
    retention_days: int
    chat_retention_days: int
    audit_retention_days: int


@dataclass(frozen=True)
class PartnerAgency:
    """A task-force partner a case can be referred to (config.yml referrals.agencies)."""

    key: str
    name: str
    kind: Mapping[str, str]  # what the reporter is told, per language: the kind of agency, never a person
    address: str | None = None  # placeholders (None) until the deployment fills them in
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ReferralSettings:
    agencies: Mapping[str, PartnerAgency] = field(default_factory=dict)
    follow_up_days: int = 7
    follow_up_sweep_seconds: float = 3600


@dataclass(frozen=True)
class CampaignSettings:
    """Dissemination campaigns (config.yml campaigns; bot/campaigns)."""

    # How often the sending job looks for campaigns whose time has come (and queues recipients).
    sweep_seconds: float = 10
    # Recipients queued per transaction: a restart resumes after the last batch.
    batch_size: int = 500
    # The weekly tip is a campaign to every subscriber; WhatsApp subscribers outside the 24-hour
    # window get it only through this approved template (Content SID), else they are skipped.
    weekly_tip: bool = True
    tips_template_sid: str | None = None


@dataclass(frozen=True)
class Settings:
    environment: str
    default_language: str
    database_url: str
    port: int
    public_url: str | None
    secret_key: str
    content_dir: Path
    nlu: NluSettings
    telegram: TelegramSettings
    whatsapp: WhatsAppSettings
    outbox: OutboxSettings
    hotline: HotlineSettings
    flows: FlowSettings
    privacy: PrivacySettings
    contacts: Mapping[str, Contact] = field(default_factory=dict)
    # country -> {"all" | city: contact keys}: what works where the person is (config.yml local_contacts).
    local_contacts: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    var_dir: Path = PROJECT_ROOT / "var"
    job_offer: JobOfferSettings = field(default_factory=JobOfferSettings)
    referrals: ReferralSettings = field(default_factory=ReferralSettings)
    # GET /metrics answers loopback addresses, and others only with this bearer token (when set).
    metrics_token: str | None = None
    campaigns: CampaignSettings = field(default_factory=CampaignSettings)

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    def contact_value(self, key: str) -> str | None:
        contact = self.contacts.get(key)
        return contact.value if contact else None

    def unset_contacts(self) -> list[str]:
        """Placeholders the deployment still has to fill in."""
        return sorted(k for k, c in self.contacts.items() if not c.value)

    def contacts_where(self, country: str, city: str | None = None) -> tuple[str, ...]:
        """The contacts that work in this country (and city), local emergency number first; () if none."""
        places = self.local_contacts.get(country, {})
        return tuple(places.get(city or "", ()) or places.get("all", ()))


class _Section:
    """Typed reads of one mapping, with errors that name the full key."""

    def __init__(self, data: Any, prefix: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"config key '{prefix}' must be a mapping.")
        self.data = data
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def section(self, key: str) -> _Section:
        return _Section(self.data.get(key), self._name(key))

    def number(self, key: str, default: float, *, minimum: float = 0, integer: bool = False) -> Any:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key '{self._name(key)}' must be a number, got {value!r}.")
        if integer and not float(value).is_integer():
            raise ConfigError(f"config key '{self._name(key)}' must be a whole number, got {value!r}.")
        if value < minimum:
            raise ConfigError(f"config key '{self._name(key)}' must be at least {minimum}, got {value!r}.")
        return int(value) if integer else float(value)

    def choice(self, key: str, default: str | None, options: tuple[str, ...]) -> str | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if value not in options:
            raise ConfigError(
                f"config key '{self._name(key)}' must be one of {', '.join(options)}, got {value!r}."
            )
        return str(value)

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ConfigError(f"config key '{self._name(key)}' must be text, got {value!r}.")
        return str(value)


def _env(environ: Mapping[str, str], key: str) -> str | None:
    value = environ.get(key)
    return value.strip() if value and value.strip() else None


def _contacts(section: _Section) -> dict[str, Contact]:
    contacts: dict[str, Contact] = {}
    for key, raw in section.data.items():
        entry = _Section(raw, f"contacts.{key}")
        label = entry.data.get("label")
        if not isinstance(label, Mapping) or any(not label.get(lang) for lang in LANGUAGES):
            raise ConfigError(f"config key 'contacts.{key}.label' needs text for both 'id' and 'en'.")
        contacts[str(key)] = Contact(
            key=str(key),
            label={lang: str(label[lang]) for lang in LANGUAGES},
            value=entry.text("value"),
            source=entry.text("source"),
        )
    return contacts


def _referrals(section: _Section) -> ReferralSettings:
    agencies: dict[str, PartnerAgency] = {}
    for key, raw in section.section("agencies").data.items():
        entry = _Section(raw, f"referrals.agencies.{key}")
        kind = entry.data.get("kind")
        if not isinstance(kind, Mapping) or any(not kind.get(lang) for lang in LANGUAGES):
            raise ConfigError(f"config key 'referrals.agencies.{key}.kind' needs text for both 'id' and 'en'.")
        name = entry.text("name")
        if not name:
            raise ConfigError(f"config key 'referrals.agencies.{key}.name' must be set.")
        agencies[str(key)] = PartnerAgency(
            key=str(key), name=name, kind={lang: str(kind[lang]) for lang in LANGUAGES},
            address=entry.text("address"), phone=entry.text("phone"), email=entry.text("email"),
        )
    return ReferralSettings(
        agencies=agencies,
        follow_up_days=section.number("follow_up_days", 7, minimum=1, integer=True),
        follow_up_sweep_seconds=section.number("follow_up_sweep_seconds", 3600, minimum=1),
    )


def _local_contacts(section: _Section, contacts: Mapping[str, Contact]) -> dict[str, dict[str, tuple[str, ...]]]:
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    for country, raw in section.data.items():
        places = _Section(raw, f"local_contacts.{country}")
        table[str(country)] = {}
        for place, keys in places.data.items():
            name = f"local_contacts.{country}.{place}"
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise ConfigError(f"config key '{name}' must be a list of contact keys.")
            unknown = [k for k in keys if k not in contacts]
            if unknown:
                raise ConfigError(f"config key '{name}' names unknown contacts: {', '.join(unknown)}.")
            table[str(country)][str(place)] = tuple(keys)
    return table


def _job_offer(section: _Section) -> JobOfferSettings:
    tables = {}
    for key in ("salary_too_high_idr", "rates_to_idr"):
        table = section.section(key)
        tables[key] = {str(name): table.number(str(name), 0, minimum=0) for name in table.data}
    return JobOfferSettings(**tables)


def load_settings(
    config_path: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read config.yml (or TEMAN_CONFIG) and the environment into validated Settings."""
    environ = os.environ if environ is None else environ
    path = Path(config_path or environ.get("TEMAN_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = yaml_text.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"configuration file {path} is not valid YAML{where}.") from None
    root = _Section(raw, "")
    base_dir = path.resolve().parent

    environment = _env(environ, "APP_ENV") or root.text("environment", "development")
    if environment not in ("development", "production", "test"):
        raise ConfigError(
            f"config key 'environment' must be development, production or test, got {environment!r}."
        )
    default_language = root.choice("default_language", "id", LANGUAGES) or "id"

    var_dir = Path(_env(environ, "TEMAN_VAR_DIR") or base_dir / "var")
    database_url = _env(environ, "DATABASE_URL") or f"sqlite:///{var_dir / 'teman_migran.db'}"

    web = root.section("web")
    port_text = _env(environ, "PORT")
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"environment variable PORT must be a port number, got {port_text!r}.")
        port = int(port_text)
    else:
        port = web.number("port", 8000, minimum=1, integer=True)
    public_url = _env(environ, "PUBLIC_URL")
    if public_url and not public_url.startswith(("https://", "http://")):
        raise ConfigError(f"environment variable PUBLIC_URL must start with https://, got {public_url!r}.")
    public_url = public_url.rstrip("/") if public_url else None

    secret_key = _env(environ, "SECRET_KEY")
    if secret_key is None or secret_key.lower() in PLACEHOLDER_SECRETS:
        if environment == "production":
            raise ConfigError(
                "environment variable SECRET_KEY must be set to a long random value in production."
            )
        secret_key = DEV_SECRET

    nlu = root.section("nlu")
    nlu_urls = tuple(u.strip().rstrip("/") for u in (_env(environ, "NLU_URL") or "").split(",") if u.strip())
    for url in nlu_urls:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"environment variable NLU_URL must be http(s) URLs separated by commas, got {url!r}.")
    nlu_url = nlu_urls[0] if nlu_urls else None
    nlu_mode = "remote" if nlu_url else nlu.choice("mode", "managed", ("managed", "remote"))
    if nlu_mode == "remote" and not nlu_url:
        raise ConfigError("config key 'nlu.mode' is remote but the environment variable NLU_URL is not set.")
    threshold = nlu.number("confidence_threshold", 0.55)
    if threshold > 1:
        raise ConfigError(f"config key 'nlu.confidence_threshold' must be between 0 and 1, got {threshold}.")

    telegram = root.section("telegram")
    tg_token = _env(environ, "TELEGRAM_BOT_TOKEN")
    tg_mode = _env(environ, "TELEGRAM_MODE") or telegram.choice("mode", None, ("webhook", "polling"))
    if tg_mode not in (None, "webhook", "polling"):
        raise ConfigError(f"environment variable TELEGRAM_MODE must be webhook or polling, got {tg_mode!r}.")
    if tg_token and tg_mode is None:
        tg_mode = "webhook" if public_url else "polling"
    if not tg_token:
        tg_mode = None
    tg_secret = _env(environ, "TELEGRAM_WEBHOOK_SECRET")
    if tg_mode == "webhook" and not tg_secret:
        raise ConfigError("environment variable TELEGRAM_WEBHOOK_SECRET must be set for Telegram webhook mode.")
    staff_group = telegram.data.get("staff_group_id")
    if staff_group is not None and (isinstance(staff_group, bool) or not isinstance(staff_group, int)):
        raise ConfigError(f"config key 'telegram.staff_group_id' must be a chat id number, got {staff_group!r}.")

    whatsapp = root.section("whatsapp")
    wa_from = _env(environ, "TWILIO_WHATSAPP_FROM")
    if wa_from and not wa_from.startswith("whatsapp:+"):
        raise ConfigError(f"environment variable TWILIO_WHATSAPP_FROM must look like whatsapp:+62..., got {wa_from!r}.")

    outbox = root.section("outbox")
    hotline = root.section("hotline")
    flows = root.section("flows")
    privacy = root.section("privacy")
    campaigns = root.section("campaigns")
    content_dir = base_dir / (root.text("content_dir", "content/answers") or "content/answers")

    contacts = _contacts(root.section("contacts"))
    return Settings(
        environment=environment,
        default_language=default_language,
        database_url=database_url,
        port=port,
        public_url=public_url,
        secret_key=secret_key,
        content_dir=content_dir,
        var_dir=var_dir,
        nlu=NluSettings(
            mode=nlu_mode or "managed",
            url=nlu_url,
            urls=nlu_urls,
            token=_env(environ, "NLU_TOKEN"),
            managed_port=nlu.number("managed_port", 5005, minimum=1, integer=True),
            startup_timeout_s=nlu.number("startup_timeout_s", 180, minimum=1),
            request_timeout_s=nlu.number("request_timeout_s", 3.0, minimum=0.1),
            confidence_threshold=threshold,
            clarify_limit=nlu.number("clarify_limit", 3, minimum=1, integer=True),
            recheck_interval_s=nlu.number("recheck_interval_s", 15, minimum=1),
            project_dir=Path(_env(environ, "NLU_PROJECT_DIR") or base_dir / "nlu"),
        ),
        telegram=TelegramSettings(
            token=tg_token,
            webhook_secret=tg_secret,
            mode=tg_mode,
            base_url=_env(environ, "TELEGRAM_BASE_URL") or "https://api.telegram.org/bot",
            staff_group_id=staff_group,
            max_per_second=telegram.number("max_per_second", 25, minimum=0.1),
            per_chat_interval_s=telegram.number("per_chat_interval_s", 1.0),
        ),
        whatsapp=WhatsAppSettings(
            account_sid=_env(environ, "TWILIO_ACCOUNT_SID"),
            auth_token=_env(environ, "TWILIO_AUTH_TOKEN"),
            sender=wa_from,
            api_base_url=(_env(environ, "TWILIO_API_BASE_URL") or "https://api.twilio.com").rstrip("/"),
            max_per_second=whatsapp.number("max_per_second", 10, minimum=0.1),
            reopen_template_sid=whatsapp.text("reopen_template_sid"),
            per_chat_interval_s=whatsapp.number("per_chat_interval_s", 1.0),
        ),
        outbox=OutboxSettings(
            max_attempts=outbox.number("max_attempts", 8, minimum=1, integer=True),
            base_backoff_s=outbox.number("base_backoff_s", 1.0),
            max_backoff_s=outbox.number("max_backoff_s", 300),
            poll_interval_s=outbox.number("poll_interval_s", 2.0, minimum=0.05),
            send_timeout_s=outbox.number("send_timeout_s", 10.0, minimum=0.1),
            give_up_after_hours=outbox.number("give_up_after_hours", 48.0, minimum=0.01),
            backoff_jitter=outbox.number("backoff_jitter", 0.2),
            lease_s=outbox.number("lease_s", 15.0, minimum=0.3),
        ),
        hotline=HotlineSettings(
            sla_unclaimed_minutes=hotline.number("sla_unclaimed_minutes", 5),
            sla_supervisor_minutes=hotline.number("sla_supervisor_minutes", 15),
            sla_reply_minutes=hotline.number("sla_reply_minutes", 10),
            max_failed_logins=hotline.number("max_failed_logins", 5, minimum=1, integer=True),
            lockout_minutes=hotline.number("lockout_minutes", 15),
            sla_sweep_seconds=hotline.number("sla_sweep_seconds", 30, minimum=0.1),
            session_hours=hotline.number("session_hours", 12, minimum=0.1),
            console_refresh_seconds=hotline.number("console_refresh_seconds", 4, minimum=1),
            reopen_hours=hotline.number("reopen_hours", 72, minimum=0),
        ),
        flows=FlowSettings(
            remind_after_minutes=flows.number("remind_after_minutes", 60),
            close_after_minutes=flows.number("close_after_minutes", 1440),
            reminder_sweep_seconds=flows.number("reminder_sweep_seconds", 60, minimum=1),
        ),
        job_offer=_job_offer(root.section("job_offer")),
        privacy=PrivacySettings(
            retention_days=privacy.number("retention_days", 365, minimum=1, integer=True),
            chat_retention_days=privacy.number("chat_retention_days", 180, minimum=1, integer=True),
            audit_retention_days=privacy.number("audit_retention_days", 730, minimum=1, integer=True),
        ),
        contacts=contacts,
        local_contacts=_local_contacts(root.section("local_contacts"), contacts),
        referrals=_referrals(root.section("referrals")),
        metrics_token=_env(environ, "METRICS_TOKEN"),
        campaigns=CampaignSettings(
            sweep_seconds=campaigns.number("sweep_seconds", 10, minimum=0.1),
            batch_size=campaigns.number("batch_size", 500, minimum=1, integer=True),
            weekly_tip=bool(campaigns.data.get("weekly_tip", True)),
            tips_template_sid=campaigns.text("tips_template_sid"),
        ),
    )
