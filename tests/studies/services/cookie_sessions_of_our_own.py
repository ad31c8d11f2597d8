"""A site's own session engine built on signed cookies (tests/studies/services/test_housekeeping.py)."""

from django.contrib.sessions.backends.signed_cookies import SessionStore as SignedCookieSessionStore


class SessionStore(SignedCookieSessionStore):
    pass
