#!/usr/bin/env bash
# Setup role, run once before web, workers and beat start: migrations, and the demo account and
# its demo study when FER_DEMO_ACCOUNT=1 (the commands say so and do nothing otherwise).
set -euo pipefail
python manage.py migrate --noinput
python manage.py ensure_demo_user
python manage.py ensure_demo_campaign
