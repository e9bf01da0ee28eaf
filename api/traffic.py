"""Who may ask how often, and what the server remembers of them: rate limiting and the access log.

``RateLimit`` (ASGI middleware): each client address may make ``KG_RATE_LIMIT``
requests per minute (fixed one-minute windows; 0 = no limit). Every answer
advertises the client's budget in the ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset`` headers (IETF httpapi
RateLimit fields); over the budget the answer is ``429 Too Many Requests`` with
``Retry-After``. Addresses in ``KG_RATE_LIMIT_EXEMPT`` (loopback by default:
health checks, a local reverse proxy) are not counted. Behind a proxy, run
uvicorn with ``--proxy-headers`` so the address is the reader's. The count is
per server process (``kg serve --workers N`` gives each process its budget).

``HeaderLimit`` (ASGI middleware): a request whose header fields exceed
``MAX_HEADER_BYTES`` in all or ``MAX_HEADER_FIELDS`` in number is answered
``431 Request Header Fields Too Large`` before any route sees it (the HTTP
parser only bounds headers that arrive slowly).

``BoundedHttpTools`` (uvicorn protocol, when httptools is installed): the fast
HTTP parser, with the bound h11 has (``h11_max_incomplete_event_size``) and
httptools lacks: a request head (request line and header fields) still
incomplete after ``MAX_HEAD_BYTES`` is answered 431 and the connection
closed, so an endless header or URL cannot fill the memory.
``http_protocol()`` is what ``kg serve`` gives uvicorn.

``Cors`` (ASGI middleware): Starlette's ``CORSMiddleware`` with the same
answers, and a cheaper path for the usual case (any origin, no credentials,
not a preflight): the response's header list is extended once, without
Starlette's header objects.

``AccessLog`` (ASGI middleware): one line per request — method, path, status,
milliseconds — naming the client by its network only (IPv4 /24, IPv6 /48)
unless the operator sets ``KG_LOG_FULL_ADDRESSES=1``. Query strings are not
logged (searches say what a reader is interested in). Nothing about readers
is stored anywhere else.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import threading
import time
from typing import Callable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("kg.access")
WINDOW = 60.0
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_FIELDS = 100
MAX_HEAD_BYTES = 64 * 1024


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


@functools.lru_cache(maxsize=4096)
def anonymised(address: str) -> str:
    """The client's network: ``203.0.113.0/24``, ``2001:db8:1::/48``; anything unparseable becomes ``-``."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class Budgets:
    """Requests counted per address in fixed windows; the previous windows' counts are dropped as time moves on."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.clock = limit, clock
        self._window = math.floor(clock() / WINDOW)
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, address: str) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until the window resets) after counting one request of ``address``."""
        now = self.clock()
        window = math.floor(now / WINDOW)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            used = self._counts.get(address, 0) + 1
            self._counts[address] = used
        reset = max(1, math.ceil((window + 1) * WINDOW - now))
        return used <= self.limit, max(0, self.limit - used), reset


class RateLimit:
    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = ("127.0.0.1", "::1")) -> None:
        self.app, self.exempt = app, frozenset(exempt)
        self.budgets = Budgets(limit) if limit > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = client_address(scope)
        if scope["type"] != "http" or self.budgets is None or address in self.exempt:
            await self.app(scope, receive, send)
            return
        allowed, remaining, reset = self.budgets.take(address)
        fields = [(b"ratelimit-limit", str(self.budgets.limit).encode()), (b"ratelimit-remaining", str(remaining).encode()),
                  (b"ratelimit-reset", str(reset).encode())]
        if not allowed:
            body = (f'{{"error":{{"status":429,"title":"Too Many Requests","detail":"at most {self.budgets.limit} '
                    f'requests a minute from one address; try again in {reset} s"}}}}').encode()
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(reset).encode()), *fields]})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *fields]}
            await send(message)

        await self.app(scope, receive, send_with_budget)


class HeaderLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers", [])
            size = sum(len(name) + len(value) + 4 for name, value in headers)
            if size > MAX_HEADER_BYTES or len(headers) > MAX_HEADER_FIELDS:
                body = (f'{{"error":{{"status":431,"title":"Request Header Fields Too Large","detail":"{len(headers)} '
                        f'header fields, {size} bytes; at most {MAX_HEADER_FIELDS} fields and {MAX_HEADER_BYTES} bytes '
                        f'are accepted"}}}}').encode()
                await send({"type": "http.response.start", "status": 431, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class Cors(CORSMiddleware):
    """Starlette's CORS middleware; simple requests under "any origin, no credentials" take the lean path."""

    def __init__(self, app: ASGIApp, **options: object) -> None:
        super().__init__(app, **options)  # type: ignore[arg-type]
        self.lean = self.allow_all_origins and not self.allow_credentials
        self.origin_fields = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                              for name, value in self.simple_headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not self.lean:
            await super().__call__(scope, receive, send)
            return
        origin = next((value for name, value in scope["headers"] if name == b"origin"), None)
        extra = self.origin_fields if origin is not None else ()

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_cors(list(message.get("headers", ())), extra)
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _with_cors(fields: list[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]] | tuple) -> list[tuple[bytes, bytes]]:
    """``fields`` with ``extra`` set (replacing fields of the same name) and ``Origin`` added to ``Vary``."""
    for name, value in extra:
        _set(fields, name, value)
    _set(fields, b"vary", b", ".join([*(value for name, value in fields if name == b"vary"), b"Origin"]))
    return fields


def _set(fields: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> None:
    """Set one field as Starlette's ``MutableHeaders`` does: the first of that name is replaced, the others dropped."""
    found = [index for index, (key, _) in enumerate(fields) if key == name]
    for index in reversed(found[1:]):
        del fields[index]
    if found:
        fields[found[0]] = (name, value)
    else:
        fields.append((name, value))


class AccessLog:
    def __init__(self, app: ASGIApp, full_addresses: bool = False) -> None:
        self.app, self.full_addresses = app, full_addresses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 0

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            if log.isEnabledFor(logging.INFO):
                address = client_address(scope)
                who = address if self.full_addresses else anonymised(address)
                # made by hand: Logger.info would also look up its caller's file and line, unused here
                log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "%s %s %s %d %.1fms", (
                    who, scope.get("method", "-"), scope.get("path", "-"), status or 500,
                    1000 * (time.perf_counter() - started)), None))


def http_protocol() -> type | str:
    """The HTTP protocol for uvicorn: ``BoundedHttpTools``, or ``"h11"`` without httptools."""
    return BoundedHttpTools if BoundedHttpTools is not None else "h11"


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed
    BoundedHttpTools = None
else:
    class BoundedHttpTools(HttpToolsProtocol):  # type: ignore[no-redef]
        """httptools, refusing a request head that is still incomplete after ``MAX_HEAD_BYTES``."""

        _head_bytes = 0
        _in_head = True  # the bytes arriving belong to a request head (the next request's, between requests)

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                self._head_bytes += len(data)  # body bytes in the same read are forgiven once the head completes
            super().data_received(data)
            if self._in_head and self._head_bytes > MAX_HEAD_BYTES:
                self._refuse_head()

        def on_headers_complete(self) -> None:
            self._in_head, self._head_bytes = False, 0
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head = True
            super().on_message_complete()

        def _refuse_head(self) -> None:
            if self.transport.is_closing():
                return
            body = (f"request head over {MAX_HEAD_BYTES} bytes; at most {MAX_HEADER_FIELDS} header fields and "
                    f"{MAX_HEADER_BYTES} bytes of them are accepted").encode()
            self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; "
                                 b"charset=utf-8\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body) + body)
            self.transport.close()
