"""The one place that reads the process environment.

Every setting that can come from outside goes through these helpers, so the full
list of knobs is visible here and a production deploy missing a required value
fails at start-up instead of running with a development default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_pixels(name: str, default: int) -> int:
    """A pixel count, written as a number (8294400) or as a frame size (3840x2160)."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    width, separator, height = value.strip().lower().replace("×", "x").partition("x")
    try:
        return int(width) * int(height) if separator else int(width)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is neither a pixel count (8294400) "
                                   "nor a frame size (3840x2160).") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_required_in_production(name: str, *, production: bool, development_default: str) -> str:
    """A value production must provide; development falls back to a safe local default."""
    value = os.environ.get(name)
    if value:
        return value
    if production:
        raise ImproperlyConfigured(
            f"Environment variable {name} is required when DJANGO_DEBUG is off (production)."
        )
    return development_default
