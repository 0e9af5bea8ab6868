"""A fake Telegram Bot API server: the methods the bot calls, answered as Telegram answers them."""

from __future__ import annotations

import asyncio
import collections
import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import Call, FakeServer

TOKEN = "123456:TEST-TOKEN"  # obviously fake; the real ones look different
BOT_ID = 123456
BOT_MESSAGE_IDS_FROM = 5_000_000
JSON_FIELDS = ("reply_markup", "allowed_updates", "reply_parameters", "entities")


# Telegram's broadcast limit: about 30 messages a second across all chats (Bot API FAQ, "My bot is
# hitting limits"); more within any one second is answered 429 when `enforce_rate` is on.
GLOBAL_LIMIT_PER_S = 30


class FakeTelegram(FakeServer):
    def __init__(self, token: str = TOKEN, *, enforce_rate: bool = False) -> None:
        super().__init__()
        self.token = token
        self.enforce_rate = enforce_rate
        self._recent_sends: collections.deque[float] = collections.deque()  # accepted sendMessage times
        self.updates: list[dict[str, Any]] = []  # served by getUpdates
        self.poll_offsets: list[int] = []  # the offset of every getUpdates, as it arrives
        self.content_types: list[tuple[str, str]] = []  # (method, the body's media type) of every request
        self._closing = False
        self._new_update = asyncio.Event()
        self._message_ids: dict[str, int] = {}

    @property
    def base_url(self) -> str:
        """What TELEGRAM_BASE_URL is set to; PTB appends the token."""
        return f"{self.url}/bot"

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._new_update.set()

    def sent(self, chat_id: int | str | None = None) -> list[Call]:
        """Successful sendMessage calls, optionally to one chat."""
        return [
            c for c in self.ok_calls("sendMessage") if chat_id is None or c.params["chat_id"] == str(chat_id)
        ]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        return [c.params["text"] for c in self.sent(chat_id)]

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["POST", "GET"])])

    async def _endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        self.content_types.append((method, request.headers.get("content-type", "").split(";")[0]))
        params = await self._params(request)
        if request.path_params["token"] != self.token:
            self.calls.append(Call(method, params, 401))
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        failure = await self.next_failure(method)
        if failure is None and method == "sendMessage" and self._over_the_limit():
            self.calls.append(Call(method, params, 429))
            return JSONResponse(
                {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                 "parameters": {"retry_after": 1}},
                429,
            )
        if failure is not None:
            if failure.status == 0:
                call = Call(method, params, 0)
                self.calls.append(call)
                await asyncio.sleep(failure.hang_s)
                return JSONResponse({"ok": False, "error_code": 504, "description": "Gateway Timeout"}, 504)
            self.calls.append(Call(method, params, failure.status))
            body: dict[str, Any] = {"ok": False, "error_code": failure.status}
            if failure.status == 429:
                body["description"] = f"Too Many Requests: retry after {failure.retry_after}"
                body["parameters"] = {"retry_after": failure.retry_after}
            elif failure.status == 403:
                body["description"] = "Forbidden: bot was blocked by the user"
            elif failure.status == 400:
                body["description"] = "Bad Request: chat not found"
            else:
                body["description"] = {502: "Bad Gateway", 503: "Service Unavailable"}.get(
                    failure.status, "Internal Server Error"
                )
            return JSONResponse(body, failure.status)
        result = await self._result(method, params)
        self.calls.append(Call(method, params, 200, result))
        return JSONResponse({"ok": True, "result": result})

    def _over_the_limit(self) -> bool:
        """More than GLOBAL_LIMIT_PER_S sendMessage calls accepted within the last second?"""
        if not self.enforce_rate:
            return False
        now = time.monotonic()
        while self._recent_sends and self._recent_sends[0] <= now - 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= GLOBAL_LIMIT_PER_S:
            return True
        self._recent_sends.append(now)
        return False

    def rate_limited(self) -> int:
        """How many sendMessage calls were answered 429."""
        return sum(1 for c in self.calls if c.method == "sendMessage" and c.status == 429)

    @staticmethod
    async def _params(request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            # Recorded as a form would carry them, so a test reads the same whichever the client sent.
            return {key: _as_form_value(key, value) for key, value in json.loads(await request.body() or b"{}").items()}
        form = await request.form()
        params: dict[str, Any] = {}
        for key, value in form.items():
            params[key] = json.loads(str(value)) if key in JSON_FIELDS else str(value)
        return params

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Teman Migran",
                "username": "TemanMigranTestBot",
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "sendMessage":
            chat_id = str(params["chat_id"])
            # Telegram numbers a chat's messages in one sequence, the person's and the bot's alike, so a
            # reply never has the id of a message the person sent. The fake cannot see what was posted to
            # the bot; its replies count from far above any id the update factory (shapes) hands out.
            self._message_ids[chat_id] = self._message_ids.get(chat_id, BOT_MESSAGE_IDS_FROM) + 1
            chat_type = "private" if not chat_id.startswith("-") else "supergroup"
            message: dict[str, Any] = {
                "message_id": self._message_ids[chat_id],
                "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": chat_type},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Teman Migran"},
                "text": params.get("text", ""),
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        if method == "getUpdates":
            return await self._get_updates(params)
        # setWebhook, deleteWebhook, answerCallbackQuery ...
        return True

    async def stop(self) -> None:
        self._closing = True  # release long polls, or shutting down waits for them
        self._new_update.set()
        await super().stop()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.poll_offsets.append(offset)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline or self._closing:
                return pending
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=deadline - time.monotonic())
            except TimeoutError:
                pass


def _as_form_value(key: str, value: Any) -> Any:
    """A JSON body's value as the form field the Bot API would read the same from: scalars as text
    ("42", "false"), JSON-serialized fields (a keyboard) as objects."""
    if key in JSON_FIELDS:
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, (dict, list)) else str(value)
