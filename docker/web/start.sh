#!/usr/bin/env bash
# Web role: serve HTTP and WebSockets with Daphne, through fer_platform.serve (its limits on what a
# client can make the server hold in memory); the setup role has migrated the database.
# Behind reverse proxies, FER_PROXY_COUNT tells the application how many append to X-Forwarded-For;
# Daphne itself trusts no forwarded header (its --proxy-headers takes the leftmost address, which a
# client can write).
set -euo pipefail
exec python -m fer_platform.serve -b 0.0.0.0 -p "${PORT:-8000}" fer_platform.asgi:application
