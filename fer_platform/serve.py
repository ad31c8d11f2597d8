"""The web server: Daphne (HTTP and WebSockets) with two of its defaults changed.

    python -m fer_platform.serve -b 0.0.0.0 -p 8000 fer_platform.asgi:application

Takes Daphne's own arguments. Both changes bound the memory one client can make the server use:

- Twisted parses a POSTed form or multipart body itself, before Django is asked: the whole body in
  memory, then a copy per part (a 150 MB upload took the server from 0.16 to 2.1 GB, and so did an
  anonymous POST to a page that does not exist). Django parses it again anyway, streaming, with its
  own limits, so Twisted's parse is turned off.
- A WebSocket message is held whole before any consumer sees how long it is (three 400 MB messages
  took the server to 3.4 GB). Messages are capped at the longest the live protocol accepts; a longer
  one closes the connection (1009, "message too big").
"""

import os


def websocket_message_limit() -> int:
    """The longest WebSocket message, in bytes: a live frame of FER_LIVE_MAX_FRAME_BYTES as JSON."""
    from django.conf import settings

    from studies.live_protocol import max_message_chars

    return max_message_chars(settings.FER_LIVE_MAX_FRAME_BYTES)


def _install() -> None:
    """Make Daphne's server build the request and WebSocket factories below."""
    from daphne import http_protocol, server, ws_protocol

    class FormsLeftToDjangoRequest(http_protocol.WebRequest):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)

    class HTTPFactory(http_protocol.HTTPFactory):
        def buildProtocol(self, addr):
            protocol = super().buildProtocol(addr)
            if protocol is not None:
                protocol.requestFactory = FormsLeftToDjangoRequest
            return protocol

    limit = websocket_message_limit()

    class WebSocketFactory(ws_protocol.WebSocketFactory):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # failByDrop off: the client is told why (1009) instead of losing the connection unexplained
            self.setProtocolOptions(maxMessagePayloadSize=limit, maxFramePayloadSize=limit, failByDrop=False)

    server.HTTPFactory = HTTPFactory
    server.WebSocketFactory = WebSocketFactory


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_platform.settings.base")
    _install()
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
