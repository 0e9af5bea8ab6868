"""A fake Twilio REST API: the Messages resource, answered (and failing) as Twilio does."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import Call, FakeServer

ACCOUNT_SID = "ACtest"  # obviously fake: real SIDs are AC + 32 hex digits
AUTH_TOKEN = "test-auth-token"
SENDER = "whatsapp:+14155550100"
CREATE = "Messages.create"


class FakeTwilio(FakeServer):
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._count = 0

    def sent(self, to: str | None = None) -> list[Call]:
        """Messages Twilio accepted (201), optionally to one `whatsapp:+...` address."""
        return [c for c in self.ok_calls(CREATE) if to is None or c.params["To"] == to]

    def bodies(self, to: str | None = None) -> list[str]:
        return [c.params.get("Body", "") for c in self.sent(to)]

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self._create, methods=["POST"])]
        )

    def _authorised(self, request: Request, sid: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return sid == self.account_sid and request.headers.get("authorization") == f"Basic {expected}"

    async def _create(self, request: Request) -> Response:
        form = await request.form()
        params = {key: str(value) for key, value in form.items()}
        if not self._authorised(request, request.path_params["sid"]):
            self.calls.append(Call(CREATE, params, 401))
            return self._error(401, 20003, "Authenticate")
        failure = await self.next_failure(CREATE)
        if failure is not None:
            if failure.status == 0:
                self.calls.append(Call(CREATE, params, 0))
                await asyncio.sleep(failure.hang_s)
                return self._error(504, 20500, "Gateway Timeout")
            self.calls.append(Call(CREATE, params, failure.status))
            code = failure.code or {429: 20429, 500: 20500}.get(failure.status, 21211)
            return self._error(failure.status, code, "scripted failure")
        self._count += 1
        sid = f"SMfake{self._count:04d}"
        self.calls.append(Call(CREATE, {**params, "_sid": sid}, 201))
        body: dict[str, Any] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": params.get("To"),
            "from": params.get("From"),
            "body": params.get("Body", ""),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return JSONResponse(body, status_code=201)

    @staticmethod
    def _error(status: int, code: int, message: str) -> Response:
        return JSONResponse(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status_code=status,
        )
