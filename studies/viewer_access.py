"""Which viewer sessions a browser may act for: the ones it consented to, remembered in its Django session.

Viewers have no account. Giving consent opens a ViewerSession and adds its id
to the browser's session; the capture page, the WebSocket and withdrawal all
check that list, so a session id seen elsewhere gives a stranger nothing.
"""

VIEWER_SESSIONS_KEY = "viewer_sessions"


def remember(request, viewer_session) -> None:
    allowed = request.session.get(VIEWER_SESSIONS_KEY, [])
    if str(viewer_session.id) not in allowed:
        request.session[VIEWER_SESSIONS_KEY] = [*allowed, str(viewer_session.id)]


def is_allowed(django_session, session_id) -> bool:
    """`django_session`: a request's session, or a WebSocket scope's (None when it has none)."""
    return django_session is not None and str(session_id) in django_session.get(VIEWER_SESSIONS_KEY, [])
