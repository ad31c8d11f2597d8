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


def is_allowed(request, session_id) -> bool:
    return str(session_id) in request.session.get(VIEWER_SESSIONS_KEY, [])
