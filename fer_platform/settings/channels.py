"""Channels layer: Redis when REDIS_URL is set, otherwise in-process memory.

The in-memory layer only reaches consumers in the same process, so with it the
web pages learn about progress by polling; with Redis the worker's progress
reaches WebSocket clients directly.
"""


def channel_layers(*, redis_url: str | None) -> dict:
    if redis_url:
        return {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [redis_url]},
            }
        }
    return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
