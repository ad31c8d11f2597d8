"""The environment helpers: typed values, and loud failures for production gaps."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from fer_platform.settings import env


def test_required_value_fails_loudly_in_production(monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY is required"):
        env.env_required_in_production("DJANGO_SECRET_KEY", production=True, development_default="dev")
    assert env.env_required_in_production("DJANGO_SECRET_KEY", production=False, development_default="dev") == "dev"

    monkeypatch.setenv("DJANGO_SECRET_KEY", "from-env")
    assert env.env_required_in_production("DJANGO_SECRET_KEY", production=True, development_default="dev") == "from-env"


def test_typed_values(monkeypatch):
    monkeypatch.setenv("FER_FLAG", "off")
    monkeypatch.setenv("FER_NUMBER", "12")
    monkeypatch.setenv("FER_HOSTS", "a.example, b.example,,")
    assert env.env_bool("FER_FLAG", True) is False
    assert env.env_int("FER_NUMBER", 1) == 12
    assert env.env_list("FER_HOSTS", []) == ["a.example", "b.example"]
    assert env.env_int("FER_UNSET_NUMBER", 7) == 7


def test_malformed_values_name_the_variable(monkeypatch):
    monkeypatch.setenv("FER_FLAG", "maybe")
    monkeypatch.setenv("FER_NUMBER", "twelve")
    with pytest.raises(ImproperlyConfigured, match="FER_FLAG"):
        env.env_bool("FER_FLAG", True)
    with pytest.raises(ImproperlyConfigured, match="FER_NUMBER"):
        env.env_int("FER_NUMBER", 1)


def test_production_settings_refuse_to_start_without_a_secret_key():
    repo_root = Path(__file__).resolve().parents[2]
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SECRET_KEY"}
    environment.update({"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "example.com"})
    environment["DJANGO_SETTINGS_MODULE"] = "fer_platform.settings.base"
    completed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=repo_root, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in completed.stderr


def test_video_and_batch_limits_come_from_the_environment():
    repo_root = Path(__file__).resolve().parents[2]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fer_platform.settings.base",
        "FER_MAX_VIDEO_MB": "64",
        "FER_MAX_VIDEO_SECONDS": "90",
        "FER_MAX_VIDEO_PIXELS": "2073600",
        "FER_MAX_BATCH_FILES": "7",
        "FER_MAX_ZIP_MB": "128",
        "FER_CELERY_QUEUE": "fer-video",
        "FER_VIDEO_WORK_DIR": "/srv/fer-work",
    }
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.FER_MAX_VIDEO_BYTES, s.FER_MAX_VIDEO_SECONDS, s.FER_MAX_VIDEO_PIXELS, "
        "s.FER_MAX_BATCH_FILES, s.FER_MAX_ZIP_BYTES, s.CELERY_TASK_DEFAULT_QUEUE, s.FER_VIDEO_WORK_DIR)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=repo_root, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == [
        str(64 * 1024 * 1024), "90", "2073600", "7", str(128 * 1024 * 1024), "fer-video", "/srv/fer-work",
    ]


@pytest.mark.parametrize(("redis_url", "concurrency", "pool"), [
    (None, None, "solo"),  # the embedded broker: a prefork child would start a job only every 2 s
    (None, "3", "prefork"),
    ("redis://127.0.0.1:6379/0", None, "prefork"),
])
def test_worker_pool_suits_the_broker_and_concurrency(monkeypatch, tmp_path, redis_url, concurrency, pool):
    from fer_platform.settings.celery import celery_settings

    if concurrency is None:
        monkeypatch.delenv("FER_WORKER_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("FER_WORKER_CONCURRENCY", concurrency)
    settings = celery_settings(base_dir=tmp_path, redis_url=redis_url)
    assert settings["CELERY_WORKER_POOL"] == pool
    assert settings["CELERY_WORKER_CONCURRENCY"] == int(concurrency or 1)


def test_celery_beat_sends_the_daily_clearing_at_the_configured_interval(monkeypatch, tmp_path):
    from fer_platform.settings.celery import celery_settings

    monkeypatch.delenv("FER_HOUSEKEEPING_INTERVAL_H", raising=False)
    assert celery_settings(base_dir=tmp_path, redis_url=None)["CELERY_BEAT_SCHEDULE"] == {
        "housekeeping": {"task": "studies.run_housekeeping", "schedule": 24 * 3600.0},
        "abandoned-sessions": {"task": "studies.close_abandoned_sessions", "schedule": 600.0},
        "stale-jobs": {"task": "studies.requeue_stale_jobs", "schedule": 60.0, "options": {"expires": 55}}}
    monkeypatch.setenv("FER_HOUSEKEEPING_INTERVAL_H", "6")
    assert celery_settings(base_dir=tmp_path, redis_url=None)["CELERY_BEAT_SCHEDULE"]["housekeeping"][
        "schedule"] == 6 * 3600.0
    monkeypatch.setenv("FER_HOUSEKEEPING_INTERVAL_H", "0")
    with pytest.raises(ImproperlyConfigured, match="FER_HOUSEKEEPING_INTERVAL_H=0 must be 1 hour or more"):
        celery_settings(base_dir=tmp_path, redis_url=None)


@pytest.mark.parametrize(("written", "pixels"), [("8294400", 8294400), ("3840x2160", 8294400), ("1920×1080", 2073600),
                                                 (" 1280X720 ", 921600)])
def test_pixel_limits_take_a_count_or_a_frame_size(monkeypatch, written, pixels):
    monkeypatch.setenv("FER_MAX_VIDEO_PIXELS", written)
    assert env.env_pixels("FER_MAX_VIDEO_PIXELS", 1) == pixels


def test_a_malformed_pixel_limit_names_both_forms(monkeypatch):
    monkeypatch.setenv("FER_MAX_VIDEO_PIXELS", "4k")
    with pytest.raises(ImproperlyConfigured, match=r"FER_MAX_VIDEO_PIXELS='4k' is neither a pixel count"):
        env.env_pixels("FER_MAX_VIDEO_PIXELS", 1)


def test_https_turns_on_secure_cookies_the_redirect_and_the_proxy_header():
    repo_root = Path(__file__).resolve().parents[2]
    script = ("import django; django.setup(); from django.conf import settings as s; "
              "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
              "getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.SECURE_HSTS_SECONDS)")

    def settings_with(**variables):
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "fer_platform.settings.base", **variables}
        completed = subprocess.run([sys.executable, "-c", script], cwd=repo_root, env=environment,
                                   capture_output=True, text=True, timeout=60)
        assert completed.returncode == 0, completed.stderr
        return completed.stdout.strip()

    assert settings_with(DJANGO_HTTPS="0") == "False False False None 0"
    assert settings_with(DJANGO_HTTPS="1", DJANGO_HSTS_SECONDS="31536000") == \
        "True True True ('HTTP_X_FORWARDED_PROTO', 'https') 31536000"


def test_with_redis_every_web_process_counts_sign_ins_in_it():
    repo_root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "fer_platform.settings.base",
                   "REDIS_URL": "redis://redis.example:6379/0"}
    script = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default'])"
    completed = subprocess.run([sys.executable, "-c", script], cwd=repo_root, env=environment,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "RedisCache" in completed.stdout and "redis://redis.example:6379/0" in completed.stdout


def test_production_serves_collected_static_files_and_only_the_npm_packages_built_files(tmp_path):
    repo_root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "fer_platform.settings.base", "DJANGO_DEBUG": "0",
                   "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "fer.example.com",
                   "STATIC_ROOT": str(tmp_path / "collected")}
    script = ("import django; django.setup(); from django.conf import settings as s; "
              "print(s.WHITENOISE_USE_FINDERS, s.STATIC_ROOT, [d[0] for d in s.STATICFILES_DIRS if isinstance(d, tuple)])")
    completed = subprocess.run([sys.executable, "-c", script], cwd=repo_root, env=environment,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split(" ", 2) == ["False", str(tmp_path / "collected"),
                                              "['bootstrap/dist', 'chart.js/dist']\n"]
