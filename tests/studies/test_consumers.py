"""The job progress WebSocket: who may listen, and that a running job's progress arrives.

Runs on the in-memory channel layer, and again on Redis when REDIS_URL is set
(where the worker and the web process really are different processes).
"""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from studies import services
from studies.consumers import CLOSE_NOT_FOUND
from studies.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

RECEIVE_TIMEOUT_S = 120


def _path(job) -> str:
    return f"/ws/jobs/{job.id}/"


async def _progress_until_finished(communicator) -> list:
    messages = []
    while not messages or messages[-1]["status"] not in ("succeeded", "failed"):
        messages.append(await communicator.receive_json_from(timeout=RECEIVE_TIMEOUT_S))
    return messages


def _watch_job_run(job, *, user) -> list:
    async def scenario():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), _path(job))
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_json_from()
        await database_sync_to_async(services.analysis_job_run)(job_id=job.id)
        later = await _progress_until_finished(communicator)
        await communicator.disconnect()
        return [first, *later]

    return async_to_sync(scenario)()


def _assert_progress_stream(messages):
    assert messages[0] == {"type": "job.progress", "status": "queued", "progress": 0}
    assert {message["type"] for message in messages} == {"job.progress"}
    assert [message["progress"] for message in messages] == sorted(message["progress"] for message in messages)
    assert messages[-1] == {"type": "job.progress", "status": "succeeded", "progress": 100}
    assert any(message["status"] == "running" for message in messages)


@pytest.mark.slow
def test_owner_receives_progress_on_the_in_memory_layer(user, make_job):
    job = make_job(owner=user, sample="single_face.jpg")
    _assert_progress_stream(_watch_job_run(job, user=user))


@pytest.mark.slow
@pytest.mark.services
def test_owner_receives_progress_on_the_redis_layer(user, make_job, redis_url, settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }
    job = make_job(owner=user, sample="single_face.jpg")
    _assert_progress_stream(_watch_job_run(job, user=user))


def _close_code_for(job, *, user=None, session_key=None):
    async def scenario():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), _path(job))
        communicator.scope["user"] = user or AnonymousUser()
        if session_key is not None:
            communicator.scope["session"] = type("Session", (), {"session_key": session_key})()
        connected, code = await communicator.connect()
        await communicator.disconnect()
        return connected, code

    return async_to_sync(scenario)()


def test_other_users_and_strangers_are_refused(user, other_user, make_job):
    job = make_job(owner=user)
    assert _close_code_for(job, user=other_user) == (False, CLOSE_NOT_FOUND)
    assert _close_code_for(job) == (False, CLOSE_NOT_FOUND)
    assert _close_code_for(job, session_key="some-browser") == (False, CLOSE_NOT_FOUND)


def test_anonymous_owner_is_recognised_by_session(make_job):
    job = make_job(session_key="browser-a")
    assert _close_code_for(job, session_key="browser-b") == (False, CLOSE_NOT_FOUND)
    connected, _ = _close_code_for(job, session_key="browser-a")
    assert connected


def test_full_asgi_stack_authenticates_by_session_cookie_and_checks_the_origin(user, client, make_job):
    from fer_platform.asgi import application

    job = make_job(owner=user)
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def connect(origin: bytes):
        headers = [(b"origin", origin), (b"cookie", cookie), (b"host", b"testserver")]
        communicator = WebsocketCommunicator(application, _path(job), headers=headers)
        connected, _ = await communicator.connect()
        message = await communicator.receive_json_from() if connected else None
        await communicator.disconnect()
        return connected, message

    connected, message = async_to_sync(connect)(b"http://testserver")
    assert connected
    assert message == {"type": "job.progress", "status": "queued", "progress": 0}

    connected, _ = async_to_sync(connect)(b"http://evil.example")
    assert not connected
    connected, _ = async_to_sync(connect)(b"http://testserver:8080")  # another service on the same host
    assert not connected


def test_an_api_client_follows_its_job_with_its_token_and_no_origin(user, other_user, make_job):
    from rest_framework.authtoken.models import Token

    from fer_platform.asgi import application

    job = make_job(owner=user)
    mine, theirs = Token.objects.create(user=user), Token.objects.create(user=other_user)

    async def connect(path, headers):
        communicator = WebsocketCommunicator(application, path, headers=[(b"host", b"testserver"), *headers])
        connected, close_code = await communicator.connect()
        message = await communicator.receive_json_from() if connected else None
        await communicator.disconnect()
        return connected, close_code, message

    connected, _, message = async_to_sync(connect)(_path(job), [(b"authorization", f"Token {mine.key}".encode())])
    assert connected and message == {"type": "job.progress", "status": "queued", "progress": 0}
    assert async_to_sync(connect)(_path(job), [(b"authorization", f"Token {theirs.key}".encode())])[1] == \
        CLOSE_NOT_FOUND  # someone else's job, as on the REST API
    assert not async_to_sync(connect)(_path(job), [(b"authorization", b"Token not-a-real-key")])[0]
    assert not async_to_sync(connect)(_path(job), [])[0]  # no token, no origin: refused as before
    assert not async_to_sync(connect)("/ws/no-such-socket/", [(b"origin", b"http://testserver")])[0]


@pytest.mark.slow
def test_a_running_video_pushes_frames_per_second_and_time_left(user, make_video_job):
    job = make_video_job(owner=user, progress_detail={"frames_done": 0, "frames_total": 72})

    messages = _watch_job_run(job, user=user)

    assert messages[0] == {
        "type": "job.progress", "status": "queued", "progress": 0,
        "detail": {"frames_done": 0, "frames_total": 72},
    }
    running = [message for message in messages if message["status"] == "running"]
    assert any(message["detail"].get("frames_per_s") for message in running), running
    assert all(message["detail"]["frames_total"] == 72 for message in running)
    assert messages[-1]["status"] == "succeeded" and messages[-1]["progress"] == 100
    assert messages[-1]["detail"]["frames_done"] == 72 and messages[-1]["detail"]["seconds_left"] == 0


def test_whatever_a_listener_sends_is_ignored_and_progress_still_arrives(user, make_job):
    job = make_job(owner=user, sample="single_face.jpg")

    async def scenario():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), _path(job))
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        await communicator.receive_json_from()
        for junk in ({"text_data": "not json"}, {"bytes_data": b"\x00\x01"}, {"text_data": "[" * 5000}):
            await communicator.send_to(**junk)
        nothing_back = await communicator.receive_nothing(timeout=0.5)
        await database_sync_to_async(services.analysis_job_run)(job_id=job.id)
        later = await _progress_until_finished(communicator)
        await communicator.disconnect()
        return nothing_back, later

    nothing_back, later = async_to_sync(scenario)()
    assert nothing_back and later[-1]["status"] == "succeeded"
