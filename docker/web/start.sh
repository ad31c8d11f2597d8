#!/usr/bin/env bash
# Web role: serve HTTP and WebSockets with Daphne (the setup role has migrated the database).
# FER_BEHIND_PROXY=1 trusts X-Forwarded-For and X-Forwarded-Proto, which only a reverse proxy in
# front may set: a client reaching Daphne directly could otherwise pose as any address.
set -euo pipefail
proxy_flags=()
case "$(printf '%s' "${FER_BEHIND_PROXY:-0}" | tr '[:upper:]' '[:lower:]')" in
  1|true|yes|on) proxy_flags=(--proxy-headers) ;;
esac
exec daphne -b 0.0.0.0 -p "${PORT:-8000}" "${proxy_flags[@]}" fer_platform.asgi:application
