"""`python -m bot ...`: serve, chat, triage, migrate, staff, agencies, content, stats, campaign (the command table in README.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import signal
import sys
import threading
import uuid
from collections.abc import Coroutine, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import logs
from bot.campaigns import audience, campaigns
from bot.config import ConfigError, Settings, load_settings
from bot.hotline import staff as staff_accounts
from bot.hotline import stats
from bot.recruitment import agencies
from bot.storage.db import create_db_engine, is_sqlite, migrate, session_factory, transaction
from bot.storage.models import Campaign, StaffRole, utcnow
from bot.understanding.places import CITIES, INDONESIA

log = logging.getLogger("bot")


class UsageError(Exception):
    """Bad input on the command line; exit 2 with this one sentence."""


class Terminated(Exception):
    """SIGTERM stopped the command after its clean-up ran; exit 143 as the signal would."""


def _run(main: Coroutine[Any, Any, None]) -> None:
    """asyncio.run(main), where SIGTERM cancels `main` so its finally blocks run.

    Without this SIGTERM ends the process on the spot, and the managed Rasa server (still loading,
    perhaps) would be left to the kernel's parent-death signal instead of a clean stop.
    """

    async def guarded() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        stopped: list[bool] = []

        def on_sigterm() -> None:
            stopped.append(True)
            task.cancel()

        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        try:
            await main
        except asyncio.CancelledError:
            if stopped:
                raise Terminated() from None
            raise
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    asyncio.run(guarded())


def _settings() -> Settings:
    return load_settings()


def _configure_logging(default: str = "INFO", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logs.formatter(os.environ.get("LOG_FORMAT")))  # LOG_FORMAT=json: one object a line
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", default).upper(), handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """The configured database for one command; a SQLite database is migrated first (CONTRACTS §6)."""
    engine = create_db_engine(settings.database_url)
    try:
        if is_sqlite(engine):
            migrate(engine)
        yield session_factory(engine)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- migrate
def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    print(f"database is at the latest schema ({engine.url.render_as_string(hide_password=True)})")
    return 0


# ---------------------------------------------------------------- content check
def cmd_content_check(args: argparse.Namespace) -> int:
    from bot.answers.check import check_directory, check_interface_texts, check_local_contacts
    from bot.answers.texts import Texts, TextsError, privacy_values
    from bot.app import UI_TEXTS
    from bot.recruitment.red_flags import COUNTRY_GROUPS

    settings = _settings()
    local_problems, unset_places = check_local_contacts(
        settings.local_contacts, settings.contacts, {*COUNTRY_GROUPS, INDONESIA},
        {city: country for city, (country, _) in CITIES.items()},
    )
    problems = [f"{p.file}: {p.item_id + ': ' if p.item_id else ''}{p.message}"
                for p in [*check_directory(settings.content_dir, settings.contacts, COUNTRY_GROUPS), *local_problems]]
    try:
        ui = Texts.load(UI_TEXTS, settings.contacts, privacy_values(settings.privacy))
        problems += [f"{p.file}: {p.item_id}: {p.message}" for p in check_interface_texts(ui.strings)]
    except TextsError as exc:
        problems.append(str(exc))
    for problem in problems:
        print(problem)
    unset = settings.unset_contacts()
    if unset:
        print(f"note: contact placeholders not set yet (the bot omits them): {', '.join(unset)}", file=sys.stderr)
    for line in unset_places:
        print(f"note: no number set yet for people in {line}", file=sys.stderr)
    if problems:
        print(f"content check failed: {len(problems)} problem(s).", file=sys.stderr)
        return 2
    print("content check passed.")
    return 0


# ---------------------------------------------------------------- triage
async def _triage(lines: Sequence[str], out: Any) -> None:
    from bot.app import build_app
    from bot.chat.payload import AskIntent, Command, opt_out_word, typed_command
    from bot.chat.router import decide
    from bot.storage.models import ConversationState
    from bot.understanding.understand import from_button

    app = build_app(_settings())
    try:
        await app.start_nlu()
        for line in lines:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            command = typed_command(text) or opt_out_word(text)
            if command == Command("unsubscribe"):
                # "berhenti", "stop", "/berhenti": live messages end the subscription in every state.
                understanding = from_button("unsubscribe_updates", text)
            elif isinstance(command, AskIntent):
                # "/status", "/cek": live messages route these like a confident request of the intent.
                understanding = from_button(command.intent, text)
            elif command is not None:
                # "/menu", "/hapus"...: navigation the menu and the flows answer without the NLU.
                understanding = from_button("ask_menu", text)
            else:
                understanding = await app.understander.understand(text)
            decision = decide(
                understanding,
                state=ConversationState.IDLE,
                threshold=app.settings.nlu.confidence_threshold,
                find_answer=app.services.find_answer,
            )
            row = {
                "text": text,
                "intent": decision.intent or "out_of_scope",
                "confidence": round(understanding.confidence, 4),
                "urgent": decision.urgent,
                "route": str(decision.route),
                "entities": [e.as_json() for e in understanding.entities],
                # A typed command needs no NLU: report whether Rasa is answering all the same.
                "nlu": app.understander.status if understanding.source == "button" else
                ("rasa" if understanding.source == "rasa" else "degraded"),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        await app.aclose()


def cmd_triage(args: argparse.Namespace) -> int:
    _run(_triage(sys.stdin.readlines(), sys.stdout))
    return 0


# ---------------------------------------------------------------- chat
async def _chat(user: str) -> None:
    from bot.app import build_app
    from bot.channels.local import CHANNEL, LocalSender
    from bot.chat.inbound import Inbound

    app = build_app(_settings(), senders={CHANNEL: LocalSender()})
    try:
        print("Memuat NLU (Rasa)... / Loading the NLU...", flush=True)
        await app.start_nlu()
        print(f"NLU: {app.understander.status}. Ketik pesan; angka memilih tombol; Ctrl-D untuk keluar.\n"
              "Type a message; a number picks a button; Ctrl-D to quit.", flush=True)
        app.start_background()
        while True:
            line = await _next_line()
            if line is None:
                break
            inbound = Inbound(channel=CHANNEL, chat_id=user, message_id=uuid.uuid4().hex, text=line)
            result = await app.dispatcher.dispatch(inbound)
            if not result.stored:
                for reply in result.replies:
                    print("bot> " + reply.text)
            await app.outbox.drain_once()
    finally:
        await app.aclose()


async def _next_line() -> str | None:
    """The next line typed, read in a daemon thread: a stop signal must not wait for Enter to be pressed."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str | None] = loop.create_future()

    def deliver(value: str | None) -> None:
        if not line.done():
            line.set_result(value)

    def read() -> None:
        value = _read_line()
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the chat has ended
            loop.call_soon_threadsafe(deliver, value)

    threading.Thread(target=read, name="chat-input", daemon=True).start()
    return await line


def _read_line() -> str | None:
    if not sys.stdin.isatty():
        return _read_piped_line(sys.stdin.fileno())
    try:
        return input("you> ")
    except EOFError:
        return None


def _read_piped_line(fd: int) -> str | None:
    """One line from a pipe through os.read: a daemon thread waiting in sys.stdin.readline() holds
    stdin's lock, and the interpreter aborts its shutdown (after a stop signal) on that lock."""
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 1)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", errors="replace").rstrip("\r\n") if data else None


def cmd_chat(args: argparse.Namespace) -> int:
    _run(_chat(args.user))
    return 0


# ---------------------------------------------------------------- staff add
def _read_password() -> str:
    """Standard input when piped (scripts, tests); otherwise ask twice without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Kata sandi / Password: ")
    second = getpass.getpass("Ulangi / Repeat: ")
    if first != second:
        raise UsageError("the two passwords differ.")
    return first


def cmd_staff_add(args: argparse.Namespace) -> int:
    settings = _settings()
    username = staff_accounts.check_username(args.username)
    password = staff_accounts.check_password(_read_password())
    with _database(settings) as sessions, transaction(sessions) as session:
        staff = staff_accounts.create_staff(
            session, username, password, StaffRole(args.role), telegram_user_id=args.telegram_user_id
        )
        staff_id = staff.id
    print(f"staff account {username!r} created (id {staff_id}, role {args.role}).")
    return 0


# ---------------------------------------------------------------- agencies import
def cmd_agencies_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    settings = _settings()
    with _database(settings) as sessions:
        if args.if_empty:
            with sessions() as session:
                existing = agencies.count(session)
            if existing:
                print(f"the registry already holds {existing} agencies; nothing imported.")
                return 0
        try:
            parsed = agencies.read_file(path)
        except agencies.RegistryFileError as exc:
            raise UsageError(f"{exc}; the previous list was kept.") from None
        for line, problem in parsed.problems:
            print(f"line {line}: {problem}", file=sys.stderr)
        if parsed.ignored_columns:
            print(f"note: ignored columns: {', '.join(parsed.ignored_columns)}", file=sys.stderr)
        with transaction(sessions) as session:
            imported = agencies.replace_all(session, parsed.rows, utcnow())
        skipped = f" ({len(parsed.problems)} bad rows skipped, listed above)" if parsed.problems else ""
        log.info("agencies.imported file=%s rows=%d bad=%d", path, imported, len(parsed.problems))
        print(f"imported {imported} agencies from {path}{skipped}.")
        return 0


# ---------------------------------------------------------------- stats
def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} must be a date like 2026-03-31, got {text!r}.") from None


def cmd_stats(args: argparse.Namespace) -> int:
    """Aggregates for the task force (CONTRACTS §6): exact counts, no personal data."""
    first, last = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if last < first:
        raise UsageError("--to is before --from.")
    settings = _settings()
    with _database(settings) as sessions, sessions() as session:
        figures = stats.compute(session, first, last, settings)
    if args.format == "csv":
        sys.stdout.write(stats.to_csv(figures, suppress=False))
    else:
        print(json.dumps(figures.as_json(), ensure_ascii=False, indent=2))
    return 0


# ---------------------------------------------------------------- campaign
WIB = timezone(timedelta(hours=7), "WIB")


def _text_file(path: str | None, option: str) -> str | None:
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{option}: cannot read {path!r} as UTF-8 text ({exc}).") from None
    if not text:
        raise UsageError(f"{option}: {path!r} is empty.")
    return text


def _send_at(text: str | None) -> datetime | None:
    """--at: ISO 8601; a time without an offset is West Indonesia Time (WIB), as staff read clocks."""
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at must be an ISO 8601 time like 2026-12-01T09:00+07:00, got {text!r}.") from None
    return (at if at.tzinfo else at.replace(tzinfo=WIB)).astimezone(UTC)


def _template_vars(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--wa-var must look like 1=Budi, got {pair!r}.")
        values[key] = value
    return values


def cmd_campaign_send(args: argparse.Namespace) -> int:
    """A campaign to subscribers (CONTRACTS §6); `serve` sends it. Prints {"campaign": ID, "audience": N}."""
    text_id = _text_file(args.text_file, "--text-file")
    text_en = _text_file(args.text_file_en, "--text-file-en")
    try:
        segment = audience.parse_segment(args.segment)
    except audience.SegmentError as exc:
        raise UsageError(f"--segment: {exc}.") from None
    draft = campaigns.Draft(
        title=args.title or "", text_id=text_id or "", text_en=text_en, segment=segment, send_at=_send_at(args.at),
        wa_template_sid=args.wa_template, wa_template_vars=_template_vars(args.wa_var), origin="cli",
    )
    settings = _settings()
    with _database(settings) as sessions, transaction(sessions) as session:
        reach = audience.count(session, segment, settings.default_language)
        try:
            campaign = campaigns.create(session, draft, utcnow())
        except campaigns.CampaignError as exc:
            raise UsageError(f"{exc}.") from None
        if args.dry_run:
            session.rollback()  # nothing stored
            campaign_id = None
        else:
            campaign_id = campaign.id
            log.info("campaign.created id=%s segment=%s audience=%d origin=cli", campaign.id, segment, reach)
    print(json.dumps({"campaign": campaign_id, "audience": reach}))
    return 0


def cmd_campaign_status(args: argparse.Namespace) -> int:
    """Where a campaign's recipients are, as JSON: queued, sent, failed, skipped (and more)."""
    settings = _settings()
    with _database(settings) as sessions, sessions() as session:
        campaign = session.get(Campaign, args.id)
        if campaign is None:
            raise UsageError(f"there is no campaign {args.id}.")
        figures = campaigns.counts(session, campaign)
    print(json.dumps({"campaign": args.id, **figures.as_json()}, ensure_ascii=False))
    return 0


def cmd_campaign_cancel(args: argparse.Namespace) -> int:
    settings = _settings()
    with _database(settings) as sessions, transaction(sessions) as session:
        campaign = session.get(Campaign, args.id)
        if campaign is None:
            raise UsageError(f"there is no campaign {args.id}.")
        try:
            withdrawn = campaigns.cancel(session, campaign, utcnow())
        except campaigns.CampaignError as exc:
            raise UsageError(f"{exc}.") from None
    print(json.dumps({"campaign": args.id, "cancelled": True, "withdrawn": withdrawn}))
    return 0


def _add_campaign_commands(sub: Any) -> None:
    """`python -m bot campaign send|status|cancel`."""
    campaign = sub.add_parser("campaign", help="legal-dissemination campaigns to subscribers")
    campaign_sub = campaign.add_subparsers(dest="campaign_command", required=True)
    send = campaign_sub.add_parser("send", help='queue a campaign; prints {"campaign": ID, "audience": N}')
    send.add_argument("--text-file", required=True, help="the message in Bahasa Indonesia (UTF-8 file)")
    send.add_argument("--text-file-en", help="the message in English, for subscribers who chose English")
    send.add_argument(
        "--segment", default="all",
        help="all | region:NAME (a kabupaten/kota key, or abroad) | language:id|en | channel:telegram|whatsapp | topic:KEY",
    )
    send.add_argument("--at", help="when to send (ISO 8601; no offset means WIB); default now")
    send.add_argument("--title", help="a name staff see in the console (default: the first line)")
    send.add_argument("--wa-template", help="approved WhatsApp template (Content SID) for people outside the 24-hour window")
    send.add_argument("--wa-var", action="append", default=[], help="a template variable, e.g. 1=Sambas (repeatable)")
    send.add_argument("--dry-run", action="store_true", help="count the audience; store and send nothing")
    send.set_defaults(func=cmd_campaign_send)
    status = campaign_sub.add_parser("status", help="a campaign's counts as JSON")
    status.add_argument("id", type=int)
    status.set_defaults(func=cmd_campaign_status)
    cancel = campaign_sub.add_parser("cancel", help="stop a campaign; messages not yet sent are withdrawn")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(func=cmd_campaign_cancel)


# ---------------------------------------------------------------- serve
def cmd_serve(args: argparse.Namespace) -> int:
    from bot.web.server import serve

    serve(_settings())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Teman Migran chatbot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="webhooks, staff console and health checks on one port").set_defaults(func=cmd_serve)
    chat = sub.add_parser("chat", help="talk to the bot in this terminal (channel local)")
    chat.add_argument("--user", default="terminal", help="local chat identity (default: terminal)")
    chat.set_defaults(func=cmd_chat)
    sub.add_parser("triage", help="classify stdin lines; one JSON object per line").set_defaults(func=cmd_triage)
    sub.add_parser("migrate", help="upgrade the database to the latest schema").set_defaults(func=cmd_migrate)
    content = sub.add_parser("content", help="content library tools")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    content_sub.add_parser("check", help="validate content/").set_defaults(func=cmd_content_check)
    _add_staff_commands(sub)
    _add_agencies_commands(sub)
    report = sub.add_parser("stats", help="aggregates for the task force (JSON or CSV), no personal data")
    report.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD (WIB)")
    report.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD (WIB), included")
    report.add_argument("--format", choices=("json", "csv"), default="json")
    report.set_defaults(func=cmd_stats)
    _add_campaign_commands(sub)
    return parser


def _add_staff_commands(sub: Any) -> None:
    staff = sub.add_parser("staff", help="staff console accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser(
        "add", help="create a staff account (password from stdin when it is not a terminal)"
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    add.add_argument(
        "--telegram-user-id", type=int, default=None,
        help="the member's numeric Telegram user id, to claim and answer from the staff group",
    )
    add.set_defaults(func=cmd_staff_add)


def _add_agencies_commands(sub: Any) -> None:
    """`python -m bot agencies import FILE [--if-empty]`."""
    registry = sub.add_parser("agencies", help="recruiter registry (CSV)")
    registry_sub = registry.add_subparsers(dest="agencies_command", required=True)
    imp = registry_sub.add_parser(
        "import", help="replace the registry with a CSV: " + ",".join(agencies.COLUMNS)
    )
    imp.add_argument("file", help="CSV file (UTF-8, comma- or semicolon-separated)")
    imp.add_argument(
        "--if-empty", action="store_true", help="import only when the registry is empty (first start)"
    )
    imp.set_defaults(func=cmd_agencies_import)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging("WARNING" if args.command in ("triage", "chat", "content", "stats", "campaign") else "INFO")
    from bot.answers.library import ContentError
    from bot.answers.texts import TextsError
    from bot.understanding.rasa import NluSetupError

    try:
        return int(args.func(args))
    # Library modules raise their own errors for bad input or configuration; here they become exit 2.
    except (ConfigError, UsageError, staff_accounts.StaffError, ContentError, TextsError, NluSetupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Terminated:
        return 128 + signal.SIGTERM
