"""fer_platform.serve: Daphne as the platform runs it, with its limits on what a client can make the
server hold in memory. A real server in a subprocess, as in production."""

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
import requests
import urllib3
import websockets

from fer_platform import devservers

pytestmark = pytest.mark.slow

FRAME_KB = 100  # the server's FER_LIVE_MAX_FRAME_KB, so a message over the limit is small to send
VIDEO_MB = 64

# Finished video jobs of the demo producer, in one batch, whose annotated videos are VIDEO_MB of random
# bytes; prints "batch <id>", then "job <id> <annotated video's path>" for each.
MAKE_VIDEO_JOBS = f"""
import os, uuid
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from studies.models import AnalysisJob
batch = uuid.uuid4()
print("batch", batch)
for _ in range({{count}}):
    job = AnalysisJob.objects.create(owner=get_user_model().objects.get(username="demo"), kind="video", batch_id=batch,
                                     status="succeeded", progress=100, original_filename="ad.mp4", result={{}})
    for field, name in ((job.annotated_file, "annotated.mp4"), (job.timeline_csv, "timeline.csv"),
                        (job.timeline_json, "timeline.json")):
        field.save(name, ContentFile(b"{{}}"), save=False)
    job.save()
    with open(job.annotated_file.path, "wb") as video:
        for _ in range({VIDEO_MB}):
            video.write(os.urandom(1 << 20))
    print("job", job.id, job.annotated_file.path)
"""


def _video_jobs(server, count: int) -> tuple[str, list[tuple[str, str]]]:
    """(batch id, [(job id, annotated video path)]) of `count` new video jobs of the demo producer."""
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", MAKE_VIDEO_JOBS.replace("{count}", str(count))],
                          cwd=devservers.REPO_ROOT, env=server.env, check=True, capture_output=True, text=True,
                          timeout=300).stdout.splitlines()
    words = [line.split() for line in made if line.startswith(("batch ", "job "))]
    return words[0][1], [(job_id, path) for _, job_id, path in words[1:]]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    env = devservers.server_env(folder, FER_LIVE_MAX_FRAME_KB=str(FRAME_KB))
    with devservers.daphne(folder, env) as (url, process):
        devservers.manage("ensure_demo_user", env=env)
        yield SimpleNamespace(url=url, pid=process.pid, env=env)


def _post(url: str, body: bytes, content_type: str, **headers):
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers.get("Content-Type"), refused.read()


def _token(server) -> dict:
    _, _, body = _post(f"{server.url}/api/v1/auth/token/",
                       json.dumps({"username": "demo", "password": "demo-producer"}).encode(), "application/json")
    return {"Authorization": "Token " + json.loads(body)["token"]}


def test_a_multipart_body_is_parsed_by_django_alone(server, sample_bytes):
    # Twisted's own parse of this broken body answered a bare 400 before Django saw the request.
    status, content_type, body = _post(f"{server.url}/api/v1/jobs/", b"--b--\r\n",
                                       "multipart/form-data; boundary=b")
    assert status == 401 and content_type == "application/json" and json.loads(body)

    token = _token(server)
    image = sample_bytes("single_face.jpg")
    upload = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"face.jpg\"\r\n"
              b"Content-Type: image/jpeg\r\n\r\n" + image + b"\r\n--b--\r\n")
    status, _, body = _post(f"{server.url}/api/v1/jobs/", upload, "multipart/form-data; boundary=b", **token)
    assert status in (201, 202) and json.loads(body)["original_filename"] == "face.jpg"


def test_a_websocket_message_over_the_live_protocols_limit_closes_the_connection(server):
    ws_url = server.url.replace("http://", "ws://") + "/ws/live/"

    async def send(size: int):
        async with websockets.connect(ws_url, origin=server.url, max_size=None, open_timeout=60) as socket:
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


def test_a_download_waits_for_a_client_that_stops_reading(server):
    # Plain Daphne went on reading the file into its memory for the client (+60 MB here by the end of the pause).
    _, [(job_id, _)] = _video_jobs(server, 1)
    url = f"{server.url}/api/v1/jobs/{job_id}/annotated.mp4"
    before_mb = devservers.rss_mb(server.pid)
    with requests.get(url, headers=_token(server), stream=True, timeout=60) as response:
        assert response.status_code == 200
        received = len(response.raw.read(1 << 20))
        peak_mb = before_mb
        for _ in range(40):  # 2 s without reading
            time.sleep(0.05)
            peak_mb = max(peak_mb, devservers.rss_mb(server.pid))
        while chunk := response.raw.read(1 << 20):
            received += len(chunk)
    assert received == VIDEO_MB << 20  # the whole file still arrives once the client reads again
    assert peak_mb - before_mb < VIDEO_MB / 4, f"the server's memory grew {peak_mb - before_mb:.0f} MB"


def _signed_in(server) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{server.url}/accounts/login/", timeout=60).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    browser.post(f"{server.url}/accounts/login/", timeout=60, data={
        "username": "demo", "password": "demo-producer", "csrfmiddlewaretoken": token}).raise_for_status()
    return browser


def test_a_download_that_breaks_off_ends_the_connection_instead_of_leaving_the_client_waiting(server):
    # Daphne answered an error after the response had started by starting a 500 page, which failed: the
    # client waited for the rest of the body until its own timeout, and the server stopped reaping connections.
    batch_id, [_, (_, second_video)] = _video_jobs(server, 2)
    browser = _signed_in(server)
    with browser.get(f"{server.url}/batches/{batch_id}/download.zip", stream=True, timeout=30) as response:
        assert response.status_code == 200
        received = len(response.raw.read(1 << 20))
        # A storage error once the first job's video is on its way (a missing file is listed in the zip instead):
        # reading a folder fails, as root, whom a file's permissions would not stop.
        os.remove(second_video)
        os.mkdir(second_video)
        with pytest.raises(urllib3.exceptions.ProtocolError):  # "connection broken", not a read timeout
            while chunk := response.raw.read(1 << 20):
                received += len(chunk)
            raise AssertionError(f"the archive ended as if complete after {received >> 20} MB")
    assert browser.get(f"{server.url}/", timeout=30).status_code == 200  # the server goes on serving


def _self_signed_certificate(folder) -> tuple[str, str]:
    """(key path, certificate path) for localhost, valid for a day."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    key_path, certificate_path = folder / "key.pem", folder / "certificate.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(certificate_path)


def test_served_over_tls_by_daphne_itself_a_page_of_the_https_site_opens_a_websocket(tmp_path, server):
    # Daphne's WebSocket scope says no scheme: the Origin check took https://localhost for another site.
    import ssl

    key, certificate = _self_signed_certificate(tmp_path)
    port = devservers.free_port()
    command = [sys.executable, "-m", "fer_platform.serve", "-e",
               f"ssl:port={port}:interface=127.0.0.1:privateKey={key}:certKey={certificate}",
               "fer_platform.asgi:application"]
    client_tls = ssl.create_default_context()
    client_tls.check_hostname, client_tls.verify_mode = False, ssl.CERT_NONE

    async def first_message(origin: str):
        try:
            async with websockets.connect(f"wss://localhost:{port}/ws/live/", origin=origin, ssl=client_tls,
                                          open_timeout=60) as socket:
                return json.loads(await asyncio.wait_for(socket.recv(), timeout=60))["type"]
        except websockets.InvalidStatus as refused:
            return refused.response.status_code

    with devservers.process(command, tmp_path / "daphne.log", server.env) as process:
        devservers.wait_for_port(port, process, tmp_path / "daphne.log")
        assert asyncio.run(first_message(f"https://localhost:{port}")) == "ready"
        assert asyncio.run(first_message(f"http://localhost:{port}")) == 403  # a plain-http page is another origin
