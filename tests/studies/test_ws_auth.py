"""The WebSocket Origin check: a browser's connection (known by its session cookie) comes only from
this site's own pages, scheme, host and port, as Django's CSRF check asks of a form POST."""

import pytest

from studies.ws_auth import is_same_origin


def scope(origin: str | None, host: str | None = "testserver", scheme: str = "ws", **headers: str) -> dict:
    sent = [(b"origin", origin), (b"host", host), *((name.replace("_", "-").encode(), value)
                                                    for name, value in headers.items())]
    return {"type": "websocket", "scheme": scheme,
            "headers": [(name, value.encode()) for name, value in sent if value is not None]}


def test_a_page_of_this_site_may_connect():
    assert is_same_origin(scope("http://testserver"))
    assert is_same_origin(scope("http://127.0.0.1:8000", host="127.0.0.1:8000"))
    assert is_same_origin(scope("HTTP://TestServer", host="testserver"))  # names are not case-sensitive


def test_a_page_on_another_port_of_the_same_host_may_not():
    assert not is_same_origin(scope("http://127.0.0.1:9000", host="127.0.0.1:8000"))
    assert not is_same_origin(scope("http://testserver:8080"))


def test_another_site_no_origin_or_a_sandboxed_page_may_not():
    assert not is_same_origin(scope("http://evil.example"))
    assert not is_same_origin(scope(None))
    assert not is_same_origin(scope("null"))


def test_a_host_outside_allowed_hosts_is_refused_even_when_origin_and_host_agree():
    assert not is_same_origin(scope("http://evil.example", host="evil.example"))


def test_the_scheme_must_match_too(settings):
    assert not is_same_origin(scope("https://testserver"))  # served over plain HTTP
    assert is_same_origin(scope("https://testserver", scheme="wss"))
    assert not is_same_origin(scope("http://testserver", scheme="wss"))


def test_behind_a_proxy_that_ends_tls_the_forwarded_scheme_counts_when_settings_trust_it(settings):
    forwarded = scope("https://testserver", x_forwarded_proto="https")
    assert not is_same_origin(forwarded)  # a header any client can write, unless the proxy is trusted
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert is_same_origin(forwarded)
    assert not is_same_origin(scope("https://testserver", x_forwarded_proto="http"))
    assert is_same_origin(scope("https://testserver", x_forwarded_proto="wss"))  # as Traefik says it
    assert not is_same_origin(scope("https://testserver", x_forwarded_proto="ws"))


@pytest.mark.parametrize("trusted, origin, allowed", [
    ("https://app.example.com", "https://app.example.com", True),
    ("https://*.example.com", "https://studio.example.com", True),
    ("https://*.example.com", "http://studio.example.com", False),
    ("https://app.example.com", "https://app.example.com:8443", False),
])
def test_csrf_trusted_origins_are_trusted_here_too(settings, trusted, origin, allowed):
    settings.CSRF_TRUSTED_ORIGINS = [trusted]
    assert is_same_origin(scope(origin)) is allowed


def test_a_host_outside_allowed_hosts_is_refused_whatever_the_origin(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    assert not is_same_origin(scope("https://app.example.com", host="fer.internal"))
    assert not is_same_origin(scope("http://testserver", host=None))
