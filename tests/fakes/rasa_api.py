"""A fake Rasa server: the two endpoints the bot calls (/status, /model/parse), answering one intent,
with the same scripted failures as the other fakes (a hung parse is `outage(PARSE, 0, ..., hang_s=...)`;
a killed server is `stop()`, and `start()` brings it back on the same port)."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import Call, FakeServer

PARSE = "model/parse"
TOKEN = "fake-rasa-token"


class FakeRasa(FakeServer):
    def __init__(self, intent: str = "ask_menu", confidence: float = 0.95) -> None:
        super().__init__()
        self.intent = intent
        self.confidence = confidence
        self.token = TOKEN

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/status", self._status, methods=["GET"]), Route("/model/parse", self._parse, methods=["POST"])]
        )

    async def _status(self, request: Request) -> Response:
        return JSONResponse({"model_file": "fake.tar.gz", "model_id": "fake"})

    async def _parse(self, request: Request) -> Response:
        body = await request.json()
        failure = await self.next_failure(PARSE)
        if failure is not None:
            self.calls.append(Call(PARSE, body, failure.status))
            if failure.status == 0:
                await asyncio.sleep(failure.hang_s)  # hung: the bot's request times out first
            return JSONResponse({"error": "scripted failure"}, status_code=failure.status or 504)
        ranking = [{"name": self.intent, "confidence": self.confidence}]
        result = {"text": body.get("text", ""), "intent": ranking[0], "intent_ranking": ranking, "entities": []}
        self.calls.append(Call(PARSE, body, 200, result))
        return JSONResponse(result)
