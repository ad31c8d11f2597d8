"""Who opens a WebSocket: a browser by its session cookie, or an API client by its token.

Browsers cannot set headers on a WebSocket, so they are known by their session cookie, and the
Origin check keeps other sites from riding on that cookie. API clients send
`Authorization: Token <key>`, as on the REST API; no browser sends that on its own, so those
connections need no Origin check (scripts usually send no Origin at all).
"""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier

TOKEN_PREFIX = b"token "


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
        self.by_session = AllowedHostsOriginValidator(AuthMiddlewareStack(inner))

    async def __call__(self, scope, receive, send):
        key = _token_key(scope)
        if key is None:
            return await self.by_session(scope, receive, send)
        user = await _active_user_of(key)
        if user is None:
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner({**scope, "user": user}, receive, send)
