#!/usr/bin/env bash
# Web role: apply migrations, make sure the demo account and its demo campaign exist when
# FER_DEMO_ACCOUNT=1, serve HTTP and WebSockets with Daphne.
set -euo pipefail
python manage.py migrate --noinput
python manage.py ensure_demo_user
python manage.py ensure_demo_campaign
exec daphne -b 0.0.0.0 -p "${PORT:-8000}" --proxy-headers fer_platform.asgi:application
