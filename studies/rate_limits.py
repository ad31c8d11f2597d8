"""Counting attempts per client address in the cache, to slow down password guessing and floods of
fake viewers; and counting one address's open live-camera connections.

The cache is Redis when REDIS_URL is set, so every web process counts together; on the embedded
defaults each process counts on its own, which is enough on one machine. Counts are kept under a
hash of what they count (account names and addresses are not stored as such).
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` recorded attempts per key within `window_s` of the first one."""

    name: str
    limit: int
    window_s: int

    def _key(self, parts: tuple[str, ...]) -> str:
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
        return f"rate-limit:{self.name}:{digest}"

    def exceeded(self, *parts: str) -> bool:
        return (cache.get(self._key(parts)) or 0) >= self.limit

    def record(self, *parts: str) -> None:
        key = self._key(parts)
        cache.add(key, 0, self.window_s)  # the window starts with the first attempt
        try:
            cache.incr(key)
        except ValueError:  # it expired between the two calls
            cache.set(key, 1, self.window_s)

    def reset(self, *parts: str) -> None:
        cache.delete(self._key(parts))


def client_address(request) -> str:
    """The client's address: the connection's, or behind FER_PROXY_COUNT reverse proxies the one the
    outermost of them was reached from, counted from the right of X-Forwarded-For (each proxy appends
    the address it saw; whatever stands further left the client wrote itself, and could make up)."""
    if request is None:
        return ""
    return _behind_proxies(request.META.get("REMOTE_ADDR") or "", request.META.get("HTTP_X_FORWARDED_FOR", ""))


def scope_client_address(scope) -> str:
    """client_address of a WebSocket connection, from its ASGI scope."""
    connection = (scope.get("client") or [""])[0] or ""
    forwarded = b", ".join(value for name, value in scope.get("headers", ()) if name == b"x-forwarded-for")
    return _behind_proxies(connection, forwarded.decode("latin-1"))


def _behind_proxies(connection: str, forwarded_for: str) -> str:
    proxies = settings.FER_PROXY_COUNT
    forwarded = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if not proxies or len(forwarded) < proxies:  # no proxy, or this request went round one
        return connection
    return forwarded[-proxies]


class OpenConnections:
    """How many connections each key holds open in this process, at most `limit` at once.

    Per process, not in the cache: a count there would outlive a process that died holding it."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def open(self, key: str, limit: int) -> bool:
        """Count one more for `key`; False (and nothing counted) when it already holds `limit`."""
        with self._lock:
            if self._open[key] >= limit:
                return False
            self._open[key] += 1
            return True

    def close(self, key: str) -> None:
        with self._lock:
            self._open[key] -= 1
            if self._open[key] <= 0:
                del self._open[key]
