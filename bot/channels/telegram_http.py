"""python-telegram-bot's HTTP requests on aiohttp instead of httpx.

Why: under load httpx (with httpcore and anyio) was about 9% of the bot's CPU in Bot.send_message
alone (py-spy). aiohttp is already installed for twilio and costs far less per request: client CPU
per send_message against a local server, PTB's own ~80 µs included, went from ~610 µs with
HTTPXRequest to ~260 µs (~690 -> ~200 µs with 8 sends in flight). It keeps PTB's contract: the same
parameters (as a JSON body; multipart with files, as HTTPXRequest), timeouts raise TimedOut and
connection failures NetworkError, so the outbox retries exactly as before (tests/test_telegram_http.py
runs both).

Differences from HTTPXRequest: no proxy from HTTPS_PROXY/ALL_PROXY (the bot is deployed without
one), and since aiohttp has no write timeout of its own, a request is also bounded as a whole by
the sum of its connect, pool, write and read timeouts.
"""

from __future__ import annotations

import json
from typing import cast

import aiohttp
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON = "application/json"


class AiohttpRequest(BaseRequest):
    """A BaseRequest whose aiohttp session is opened inside the running loop and closed in shutdown."""

    __slots__ = (
        "_closed",
        "_connect_timeout",
        "_default_timeout",
        "_headers",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._default_timeout = _timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._headers = {"User-Agent": self.USER_AGENT}
        # Created on first use: an aiohttp session belongs to the loop it was made in, and the
        # channel (with its Bot) is built before uvicorn starts the loop.
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    def _open(self) -> aiohttp.ClientSession:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._pool_size),
            # Telegram sets no cookies; a dummy jar skips the cookie handling on every request.
            cookie_jar=aiohttp.DummyCookieJar(),
            headers=self._headers,
        )
        return self._session

    async def initialize(self) -> None:
        self._closed = False
        if self._session is None:
            self._open()

    async def shutdown(self) -> None:
        # As HTTPXRequest: after shutdown requests fail until initialize() is called again.
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._closed:
            raise RuntimeError("This AiohttpRequest is shut down; call initialize() first")
        session = self._session or self._open()
        files = request_data is not None and request_data.contains_files
        body: bytes | aiohttp.FormData | None = None
        headers = None
        if request_data is not None:
            if files:
                body = _multipart(request_data)
            else:
                # JSON, which the Bot API takes as well as a form: nested values (a keyboard) stay
                # objects, and encoding a reply costs ~5 µs instead of ~45 µs for urlencode's quoting.
                body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
                headers = {"Content-Type": JSON}
        timeout = self._default_timeout
        if files or not (
            read_timeout is write_timeout is connect_timeout is pool_timeout is self.DEFAULT_NONE
        ):
            timeout = _timeout(
                _given(read_timeout, self._read_timeout),
                _given(write_timeout, self._media_write_timeout if files else self._write_timeout),
                _given(connect_timeout, self._connect_timeout),
                _given(pool_timeout, self._pool_timeout),
            )
        try:
            async with session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            # aiohttp's connect and read timeouts are TimeoutErrors too, so they land here first.
            raise TimedOut(f"aiohttp.{type(exc).__name__}: {exc}" if str(exc) else None) from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """PTB's DEFAULT_NONE means "this request object's default"; None means "no limit"."""
    return default if value is BaseRequest.DEFAULT_NONE else cast("float | None", value)


def _timeout(
    read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """PTB's four timeouts in aiohttp's terms.

    aiohttp's `connect` covers waiting for a pooled connection and connecting; `sock_connect` the
    connect alone. It has no write timeout: the sum of all four bounds the request instead.
    """
    parts = (read, write, connect, pool)
    return aiohttp.ClientTimeout(
        total=None if None in parts else sum(p for p in parts if p is not None),
        connect=None if connect is None or pool is None else connect + pool,
        sock_connect=connect,
        sock_read=read,
    )


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """The body HTTPXRequest sends with files: the JSON-encoded parameters, then each file part."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
