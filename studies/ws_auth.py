"""Who opens a WebSocket: a browser by its session cookie, or an API client by its token.

Browsers cannot set headers on a WebSocket, so they are known by their session cookie, and the
Origin check keeps other pages from riding on that cookie: as Django's CSRF check does for a form
POST, the page must be this site's own (scheme, host and port) or one of CSRF_TRUSTED_ORIGINS.
Channels' AllowedHostsOriginValidator matches host names only, which let a page served from another
port of the same host (any other service there) open a socket as the signed-in producer. API clients send
`Authorization: Token <key>`, as on the REST API; no browser sends that on its own, so those
connections need no Origin check (scripts usually send no Origin at all).
"""

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

TOKEN_PREFIX = b"token "


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1").strip().lower()
    return ""


def _page_scheme(scope) -> str:
    """The scheme of this site's pages as the browser sees them: https behind a proxy that ends TLS
    when settings say so (SECURE_PROXY_SSL_HEADER, from DJANGO_HTTPS), as Django's request.is_secure."""
    if scope.get("scheme") == "wss":
        return "https"
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, secure_value = proxy_header
        sent = _header(scope, name.removeprefix("HTTP_").replace("_", "-").lower().encode()).split(",")[0].strip()
        # Some proxies (Traefik) forward a WebSocket's own scheme: wss for a page served over https.
        if {"wss": "https", "ws": "http"}.get(sent, sent) == secure_value:
            return "https"
    return "http"


def _is_allowed_host(host: str) -> bool:
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:  # as Django's request.get_host
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed_hosts)


def _is_trusted(origin: str) -> bool:
    """One of CSRF_TRUSTED_ORIGINS, whose `https://*.example.com` form takes any subdomain."""
    parsed = urlsplit(origin)
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        trusted = trusted.lower()
        if origin == trusted:
            return True
        scheme, netloc = urlsplit(trusted)[:2]
        if "*" in netloc and scheme == parsed.scheme and is_same_domain(parsed.netloc, netloc.split("*", 1)[1]):
            return True
    return False


def is_same_origin(scope) -> bool:
    """Whether the page opening this WebSocket is one of this site's own (or a trusted origin), on a
    host in ALLOWED_HOSTS, which Django checks of every HTTP request. Browsers always send Origin on a
    WebSocket; a connection without one (or with "null", a sandboxed or file page) is not a page of
    this site."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or origin == "null" or not _is_allowed_host(host):
        return False
    return origin == f"{_page_scheme(scope)}://{host}" or _is_trusted(origin)


def _token_key(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value.lower().startswith(TOKEN_PREFIX):
            return value[len(TOKEN_PREFIX):].strip().decode("latin-1")
    return None


@database_sync_to_async
def _active_user_of(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token is not None and token.user.is_active else None


class TokenOrSessionAuth:
    """ASGI middleware: a connection with an API token is that token's user (an unknown token is
    refused); any other goes through the Origin check and Django's session and auth middleware."""

    def __init__(self, inner):
        self.inner = inner
        self.by_session = AuthMiddlewareStack(inner)

    async def __call__(self, scope, receive, send):
        key = _token_key(scope)
        if key is None:
            if not is_same_origin(scope):
                return await WebsocketDenier()(scope, receive, send)
            return await self.by_session(scope, receive, send)
        user = await _active_user_of(key)
        if user is None:
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner({**scope, "user": user}, receive, send)
