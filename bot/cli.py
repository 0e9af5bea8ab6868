"""`python -m bot ...`: serve, chat, triage, migrate, staff, agencies, content (CONTRACTS §6)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("bot")


class UsageError(Exception):
    """Bad input on the command line; exit 2 with this one sentence."""


def _settings() -> Settings:
    return load_settings()


def _configure_logging(default: str = "INFO", stream: Any = None) -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", default).upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=stream or sys.stderr,
    )
    # httpx logs every request at INFO; that is noise next to our own structured lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


# ---------------------------------------------------------------- migrate
def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.storage.db import create_db_engine, migrate

    settings = _settings()
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    print(f"database is at the latest schema ({engine.url.render_as_string(hide_password=True)})")
    return 0


# ---------------------------------------------------------------- content check
def cmd_content_check(args: argparse.Namespace) -> int:
    from bot.answers.check import check_directory
    from bot.answers.texts import Texts, TextsError, privacy_values
    from bot.app import UI_TEXTS
    from bot.recruitment.red_flags import COUNTRY_GROUPS

    settings = _settings()
    problems = [f"{p.file}: {p.item_id + ': ' if p.item_id else ''}{p.message}"
                for p in check_directory(settings.content_dir, settings.contacts, COUNTRY_GROUPS)]
    try:
        Texts.load(UI_TEXTS, settings.contacts, privacy_values(settings.privacy))
    except TextsError as exc:
        problems.append(str(exc))
    for problem in problems:
        print(problem)
    unset = settings.unset_contacts()
    if unset:
        print(f"note: contact placeholders not set yet (the bot omits them): {', '.join(unset)}", file=sys.stderr)
    if problems:
        print(f"content check failed: {len(problems)} problem(s).", file=sys.stderr)
        return 2
    print("content check passed.")
    return 0


# ---------------------------------------------------------------- triage
async def _triage(lines: Sequence[str], out: Any) -> None:
    from bot.app import build_app
    from bot.chat.router import decide
    from bot.storage.models import ConversationState

    app = build_app(_settings())
    try:
        await app.start_nlu()
        for line in lines:
            text = line.rstrip("\n")
            if not text.strip():
                continue
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
                "route": decision.route,
                "entities": [e.as_json() for e in understanding.entities],
                "nlu": "rasa" if understanding.source == "rasa" else "degraded",
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        await app.aclose()


def cmd_triage(args: argparse.Namespace) -> int:
    asyncio.run(_triage(sys.stdin.readlines(), sys.stdout))
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
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, _read_line)
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


def _read_line() -> str | None:
    try:
        return input("you> " if sys.stdin.isatty() else "")
    except EOFError:
        return None


def cmd_chat(args: argparse.Namespace) -> int:
    asyncio.run(_chat(args.user))
    return 0


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
    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Feature modules add their subcommands here (staff, agencies), keeping this file the one entry point.
EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def _staff_commands(subparsers: Any) -> None:
    from bot.hotline.staff import register

    register(subparsers)


EXTRA_COMMANDS.append(_staff_commands)


def _agencies_commands(subparsers: Any) -> None:
    from bot.recruitment.agencies import register

    register(subparsers)


EXTRA_COMMANDS.append(_agencies_commands)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging("WARNING" if args.command in ("triage", "chat", "content") else "INFO")
    from bot.answers.library import ContentError
    from bot.answers.texts import TextsError
    from bot.understanding.rasa import NluSetupError

    try:
        return int(args.func(args))
    except (ConfigError, UsageError, ContentError, TextsError, NluSetupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
