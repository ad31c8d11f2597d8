"""RateLimit: counts per key within a window, shared through Redis by every process when it is there."""

import os
import subprocess
import sys
from pathlib import Path

from studies.rate_limits import RateLimit

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_counts_stop_at_the_limit_per_key_and_start_over_when_reset():
    limit = RateLimit("test", limit=3, window_s=60)
    for _ in range(3):
        assert not limit.exceeded("a", "1")
        limit.record("a", "1")
    assert limit.exceeded("a", "1") and not limit.exceeded("a", "2") and not limit.exceeded("a1")
    limit.reset("a", "1")
    assert not limit.exceeded("a", "1")


def test_two_processes_count_together_through_redis(redis_url):
    """What production does: each web process records, all see the sum."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "fer_platform.settings.base", "REDIS_URL": redis_url}
    key = f"test-{os.getpid()}"
    script = ("import django, sys; django.setup(); from studies.rate_limits import RateLimit; "
              f"limit = RateLimit({key!r}, limit=2, window_s=60); "
              "print(limit.exceeded('address')); limit.record('address')")

    def one_process() -> str:
        completed = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=environment,
                                   capture_output=True, text=True, timeout=60)
        assert completed.returncode == 0, completed.stderr
        return completed.stdout.strip()

    assert [one_process() for _ in range(3)] == ["False", "False", "True"]


def test_the_client_address_behind_proxies_is_the_one_the_outermost_proxy_saw(rf, settings):
    from studies.rate_limits import client_address

    # the client wrote "1.2.3.4" itself; nginx appended the address it was reached from
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    settings.FER_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.2"  # nothing in front: the header is anybody's
    settings.FER_PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.7"
    settings.FER_PROXY_COUNT = 2  # a load balancer before nginx
    assert client_address(request) == "1.2.3.4"
    # a request that reached the server round the proxies carries too short a header: the connection's
    assert client_address(rf.get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")) == "198.51.100.9"


def test_a_websockets_client_address_is_read_the_same_way(settings):
    from studies.rate_limits import scope_client_address

    scope = {"client": ["10.0.0.2", 51000], "headers": [(b"x-forwarded-for", b"1.2.3.4, 203.0.113.7")]}
    settings.FER_PROXY_COUNT = 0
    assert scope_client_address(scope) == "10.0.0.2"
    settings.FER_PROXY_COUNT = 1
    assert scope_client_address(scope) == "203.0.113.7"
    assert scope_client_address({"client": None, "headers": []}) == ""  # a unix socket has no address
