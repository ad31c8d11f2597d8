"""The web server: Daphne (HTTP and WebSockets) with some of its defaults changed.

    python -m fer_platform.serve -b 0.0.0.0 -p 8000 fer_platform.asgi:application

Takes Daphne's own arguments. The changes bound the memory one client can make the server use:

- Twisted parses a POSTed form or multipart body itself, before Django is asked: the whole body in
  memory, then a copy per part (a 150 MB upload took the server from 0.16 to 2.1 GB, and so did an
  anonymous POST to a page that does not exist). Django parses it again anyway, streaming, with its
  own limits, so Twisted's parse is turned off.
- A WebSocket message is held whole before any consumer sees how long it is (three 400 MB messages
  took the server to 3.4 GB). Messages are capped at the longest the live protocol accepts; a longer
  one closes the connection (1009, "message too big").
- Daphne writes each chunk of a response body to the client's socket buffer and asks the application
  for the next at once, however slowly the client reads: a client that stops reading had a 300 MB
  video copied into the server's memory within seconds. Here a response waits while the client is
  behind (Twisted's producer/consumer flow control), so a download is read from disk as it is sent.
  Daphne's --http-timeout then also cuts off a download a slow client is still reading: leave it unset.

And two mends: a WebSocket's scope says whether it came over TLS (Daphne leaves the scheme out), for the
Origin check; and a response whose body breaks off with an error ends its connection, where Daphne left the
client waiting and stopped cleaning up finished connections for the rest of its life.
"""

import asyncio
import os

# What a connection may hold for a client that is behind before the response waits: a few of the
# 256 KB chunks files are read in, so a fast client's next chunk is ready while this one is sent
# (Twisted's 64 KB made each chunk wait for the one before, 20 % slower).
RESPONSE_BUFFER_BYTES = 1 << 20


class ResponseFlow:
    """Whether the client of one HTTP response keeps up: a Twisted push producer, paused while the
    client's socket buffer is full and resumed once it drained."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.open.set()

    def pauseProducing(self) -> None:
        self.open.clear()

    def resumeProducing(self) -> None:
        self.open.set()

    def stopProducing(self) -> None:
        self.open.set()  # the client is gone: the application must not wait for it


def websocket_message_limit() -> int:
    """The longest WebSocket message, in bytes: a live frame of FER_LIVE_MAX_FRAME_BYTES as JSON."""
    from django.conf import settings

    from studies.live_protocol import max_message_chars

    return max_message_chars(settings.FER_LIVE_MAX_FRAME_BYTES)


def _install() -> None:
    """Make Daphne's command line run the server, requests and WebSocket factories below."""
    from daphne import cli, http_protocol, server, ws_protocol
    from twisted.internet.interfaces import ISSLTransport

    class Request(http_protocol.WebRequest):
        """Forms left to Django; the response's flow registered with the connection while it is sent."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)
            self.flow = ResponseFlow()
            transport = getattr(self.channel, "transport", None)
            if transport is not None and getattr(transport, "bufferSize", 0) < RESPONSE_BUFFER_BYTES:
                transport.bufferSize = RESPONSE_BUFFER_BYTES

        def handle_reply(self, message):
            if (message.get("type") == "http.response.start" and self.producer is None
                    and self.channel is not None and not self.finished):
                self.registerProducer(self.flow, True)
            super().handle_reply(message)

        def handle_exception(self, exception):
            if not self._response_started:
                return super().handle_exception(exception)  # Daphne's 500 page
            # The body broke off (a file gone mid-download): Daphne would start a 500 page, fail with "already
            # started" inside the loop that reaps finished connections, and stop reaping for good, while the client
            # waited for the rest. Dropping the connection tells the client the body is incomplete.
            if self.channel is not None and self.channel.transport is not None:
                self.channel.transport.abortConnection()

        def finish(self):
            self.flow.stopProducing()  # finished early (Daphne's --http-timeout): the application must not wait
            if self.producer is self.flow and self.channel is not None:
                self.unregisterProducer()  # Twisted logs an error for a request finished with one registered
            super().finish()

    class HTTPFactory(http_protocol.HTTPFactory):
        def buildProtocol(self, addr):
            protocol = super().buildProtocol(addr)
            if protocol is not None:
                protocol.requestFactory = Request
            return protocol

    class Server(server.Server):
        def create_application(self, protocol, scope):
            if scope.get("type") == "websocket" and "scheme" not in scope:
                # Daphne leaves it out; the Origin check (studies.ws_auth) needs it when Daphne serves TLS itself
                scope["scheme"] = "wss" if ISSLTransport.providedBy(protocol.transport) else "ws"
            return super().create_application(protocol, scope)

        async def handle_reply(self, protocol, message):
            await super().handle_reply(protocol, message)
            flow = getattr(protocol, "flow", None)
            if flow is not None and message.get("type") == "http.response.body" and message.get("more_body"):
                await flow.open.wait()  # the application's next chunk waits until the client took this one

    limit = websocket_message_limit()

    class WebSocketFactory(ws_protocol.WebSocketFactory):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # failByDrop off: the client is told why (1009) instead of losing the connection unexplained
            self.setProtocolOptions(maxMessagePayloadSize=limit, maxFramePayloadSize=limit, failByDrop=False)

    server.HTTPFactory = HTTPFactory
    server.WebSocketFactory = WebSocketFactory
    cli.CommandLineInterface.server_class = Server


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_platform.settings.base")
    _install()
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
