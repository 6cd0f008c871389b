"""Security headers on every response, a cap on request bodies, and whom a request comes from."""

from __future__ import annotations

import ipaddress
import logging
import re
from functools import lru_cache

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.config import gateway_settings

log = logging.getLogger(__name__)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# The longest text form of an address (IPv6 with an embedded IPv4 and a port), with room to spare.
ADDRESS_MAX = 64

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


# The one route that takes a file: a chronology upload, with its own, larger limit.
# Where files are uploaded: a chronology, a meeting's papers, an action's evidence (each checked again by
# content in its service).
UPLOAD_PATH = re.compile(
    r"^(?:/reviews/[^/]+/(?:chronology/upload|meetings/[^/]+/papers)|/actions/[^/]+/evidence)$"
)


class BodyLimit:
    """ASGI middleware refusing request bodies over `max_body_bytes` with 413, whether the size is declared
    (Content-Length) or only found while reading a chunked body: the body is read here, up to the limit,
    and handed on only when it fits."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        uploading = UPLOAD_PATH.match(scope["path"]) is not None
        settings = gateway_settings()
        limit = settings.max_upload_body_bytes if uploading else settings.max_body_bytes
        detail = (
            f"The file is larger than {limit // 1_048_576} MB: split it into smaller files and upload each"
            if uploading
            else f"The request is larger than {limit} bytes: send less"
        )
        refusal = JSONResponse({"detail": detail}, status_code=413)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await refusal(scope, receive, send)
            return
        body = await read_body(receive, limit)
        if body is None:
            return  # the client went away
        if len(body) > limit:
            await refusal(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)


async def read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole request body, read from its messages (None if the client disconnects); with a `limit`,
    reading stops as soon as the body is longer than it."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
        if limit is not None and size > limit:
            break
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then whatever the connection says next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def parse_address(text: str) -> IpAddress | None:
    """An IP address as a forwarding header writes it (bare, `v4:port` or `[v6]:port`); None otherwise."""
    text = text.strip()
    if not text or len(text) > ADDRESS_MAX:
        return None
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@lru_cache(maxsize=8)
def trusted_proxies(setting: str) -> tuple[IpNetwork, ...]:
    """The networks of FORWARDED_ALLOW_IPS; an entry that is neither an address nor a network is refused
    loudly at start, never quietly trusted or dropped."""
    networks = []
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"FORWARDED_ALLOW_IPS: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def client_address(peer: str | None, forwarded_for: list[str], trusted: tuple[IpNetwork, ...]) -> str | None:
    """Whom a request comes from: the peer, or when the peer is a trusted proxy, the nearest address in
    X-Forwarded-For that is not itself a trusted proxy. Entries are read from the right, one trusted hop at
    a time, so what a client wrote before the first trusted hop never decides; an entry that is not an IP
    address stops the walk, and the last trusted hop stands."""
    current = parse_address(peer or "")
    if current is None:
        return peer

    def is_trusted(address: IpAddress) -> bool:
        return any(address in network for network in trusted)

    entries = [entry for header in forwarded_for for entry in header.split(",")]
    while is_trusted(current) and entries:
        forwarded = parse_address(entries.pop())
        if forwarded is None:
            break
        current = forwarded
    return str(current)


class ClientAddress:
    """ASGI middleware: the request's client and scheme as its trusted proxies report them (see
    `client_address`); X-Forwarded-Proto counts only from a trusted peer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.trusted = trusted_proxies(gateway_settings().forwarded_allow_ips)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            peer_host, peer_port = scope["client"]
            peer = parse_address(peer_host)
            if peer is not None and any(peer in network for network in self.trusted):
                forwarded_for, proto = [], None
                for name, value in scope.get("headers") or []:
                    if name == b"x-forwarded-for":
                        forwarded_for.append(value.decode("latin-1"))
                    elif name == b"x-forwarded-proto":
                        proto = value.decode("latin-1").strip().lower()
                host = client_address(peer_host, forwarded_for, self.trusted)
                scope = {**scope, "client": (host, peer_port if host == peer_host else 0)}
                if proto in ("http", "https"):
                    scope["scheme"] = proto.replace("http", "ws") if scope["type"] == "websocket" else proto
        await self.app(scope, receive, send)


# Every answer's headers, encoded once; Strict-Transport-Security over HTTPS, Cache-Control unless static.
_ALWAYS = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
)
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# Pages and answers may carry case data or people's details: no browser or proxy keeps them.
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """ASGI middleware: CSP (no inline script), framing, referrer and sniffing headers on every answer, in
    place of any the app set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = list(_ALWAYS)
        if scope.get("scheme") == "https":
            added.append(_HSTS)
        if not str(scope.get("path", "")).startswith("/static/"):
            added.append(_NO_STORE)
        names = {name for name, _ in added}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [header for header in message.get("headers", ()) if header[0].lower() not in names]
                message["headers"] = kept + added
            await send(message)

        await self.app(scope, receive, send_with_headers)
