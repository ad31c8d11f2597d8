"""fer_platform.serve: Daphne as the platform runs it, with its limits on what a client can make the
server hold in memory. A real server in a subprocess, as in production."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
import websockets

from fer_platform import devservers

pytestmark = pytest.mark.slow

FRAME_KB = 100  # the server's FER_LIVE_MAX_FRAME_KB, so a message over the limit is small to send


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    env = devservers.server_env(folder, FER_LIVE_MAX_FRAME_KB=str(FRAME_KB))
    with devservers.daphne(folder, env) as (url, _):
        devservers.manage("ensure_demo_user", env=env)
        yield url


def _post(url: str, body: bytes, content_type: str, **headers):
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers.get("Content-Type"), refused.read()


def test_a_multipart_body_is_parsed_by_django_alone(server, sample_bytes):
    # Twisted's own parse of this broken body answered a bare 400 before Django saw the request.
    status, content_type, body = _post(f"{server}/api/v1/jobs/", b"--b--\r\n", "multipart/form-data; boundary=b")
    assert status == 401 and content_type == "application/json" and json.loads(body)

    _, _, body = _post(f"{server}/api/v1/auth/token/", json.dumps({"username": "demo", "password": "demo-producer"})
                       .encode(), "application/json")
    token = {"Authorization": "Token " + json.loads(body)["token"]}
    image = sample_bytes("single_face.jpg")
    upload = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"face.jpg\"\r\n"
              b"Content-Type: image/jpeg\r\n\r\n" + image + b"\r\n--b--\r\n")
    status, _, body = _post(f"{server}/api/v1/jobs/", upload, "multipart/form-data; boundary=b", **token)
    assert status in (201, 202) and json.loads(body)["original_filename"] == "face.jpg"


def test_a_websocket_message_over_the_live_protocols_limit_closes_the_connection(server):
    ws_url = server.replace("http://", "ws://") + "/ws/live/"

    async def send(size: int):
        async with websockets.connect(ws_url, origin=server, max_size=None, open_timeout=60) as socket:
            await socket.send(json.dumps({"type": "hello", "padding": "x" * size}))
            try:
                while True:
                    reply = json.loads(await asyncio.wait_for(socket.recv(), timeout=120))
                    if reply.get("type") == "error":
                        return reply["code"]
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

    assert asyncio.run(send(FRAME_KB * 1024 * 2)) == 1009  # "message too big", before the server held it
    assert asyncio.run(send(1000)) == "bad_message"  # the same server still answers what it may
