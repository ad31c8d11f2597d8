"""The live camera WebSocket: real frames in, faces out; bad input answered without closing.

Runs on the in-memory channel layer with the shipped model; frames come from
../shared/samples/single_face.mp4 as a webcam page would send them.
"""

import base64
import csv
import io

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from studies.consumers import CLOSE_LOGIN_REQUIRED
from studies.models import AnalysisJob
from studies.routing import websocket_urlpatterns

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TIMEOUT_S = 60


@pytest.fixture(scope="module")
def camera_frames(webcam_jpegs):
    return [base64.b64encode(jpeg).decode() for jpeg in webcam_jpegs[:12]]


def _frame(image: str, seq: int, t: float | None = None) -> dict:
    return {"type": "frame", "seq": seq, "t": seq * 33.3 if t is None else t, "image": image}


def run_session(scenario, *, user=None):
    """Connect to /ws/live/, wait for "ready", run `scenario(communicator)`, disconnect."""

    async def main():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/live/")
        communicator.scope["user"] = user or AnonymousUser()
        connected, _ = await communicator.connect(timeout=TIMEOUT_S)
        assert connected
        ready = await communicator.receive_json_from(timeout=TIMEOUT_S)
        assert ready["type"] == "ready", ready
        try:
            return await scenario(communicator)
        finally:
            await communicator.disconnect()

    return async_to_sync(main)()


async def ask(communicator, message) -> dict:
    await communicator.send_json_to(message)
    return await communicator.receive_json_from(timeout=TIMEOUT_S)


def test_camera_frames_give_one_face_with_a_stable_id(camera_frames):
    async def scenario(communicator):
        return [await ask(communicator, _frame(image, seq)) for seq, image in enumerate(camera_frames[:6])]

    replies = run_session(scenario)
    assert [r["type"] for r in replies] == ["result"] * 6
    assert [r["seq"] for r in replies] == list(range(6))
    assert all(len(r["faces"]) == 1 for r in replies)
    assert {r["faces"][0]["track_id"] for r in replies} == {1}
    face = replies[-1]["faces"][0]
    assert face["label"] in face["probabilities"] and face["emoji"]
    assert (replies[-1]["width"], replies[-1]["height"]) == (640, 480)
    assert replies[-1]["server_ms"] >= replies[-1]["timings_ms"]["total"] > 0


def test_a_frame_without_a_face_gives_none(sample_bytes):
    no_face = base64.b64encode(sample_bytes("no_faces.jpg")).decode()

    async def scenario(communicator):
        return await ask(communicator, _frame(no_face, 1))

    reply = run_session(scenario)
    assert reply["type"] == "result" and reply["faces"] == []


def test_bad_messages_get_errors_and_the_socket_stays_usable(camera_frames, settings):
    settings.FER_LIVE_MAX_FRAME_BYTES = 200_000

    async def scenario(communicator):
        replies = {
            "bad_base64": await ask(communicator, _frame("###", 1)),
            "not_an_image": await ask(communicator, _frame(base64.b64encode(b"plain text, no pixels").decode(), 2)),
            "too_large": await ask(communicator, _frame(base64.b64encode(b"\xff" * 300_000).decode(), 3)),
            "unknown_type": await ask(communicator, {"type": "dance"}),
        }
        await communicator.send_to(text_data="not json at all")
        replies["raw"] = await communicator.receive_json_from(timeout=TIMEOUT_S)
        await communicator.send_to(bytes_data=b"\x00\x01")
        replies["binary"] = await communicator.receive_json_from(timeout=TIMEOUT_S)
        replies["after"] = await ask(communicator, _frame(camera_frames[0], 9))
        return replies

    replies = run_session(scenario)
    assert replies["bad_base64"]["code"] == "bad_base64" and replies["bad_base64"]["seq"] == 1
    assert replies["not_an_image"]["code"] == "not_an_image" and "Accepted formats" in replies["not_an_image"]["message"]
    assert replies["too_large"]["code"] == "too_large"
    assert replies["unknown_type"]["code"] == "bad_message" and "dance" in replies["unknown_type"]["message"]
    assert replies["raw"]["code"] == "bad_message" and replies["binary"]["code"] == "bad_message"
    assert replies["after"]["type"] == "result" and len(replies["after"]["faces"]) == 1


def test_a_sender_that_does_not_wait_is_told_busy_then_throttled(camera_frames, settings):
    settings.FER_LIVE_MAX_FPS = 3

    async def scenario(communicator):
        await communicator.send_json_to(_frame(camera_frames[0], 1))
        await communicator.send_json_to(_frame(camera_frames[1], 2))  # before the first answer
        first_two = [await communicator.receive_json_from(timeout=TIMEOUT_S) for _ in range(2)]
        later = [await ask(communicator, _frame(camera_frames[i], 3 + i)) for i in range(3)]
        return first_two, later

    first_two, later = run_session(scenario)
    by_seq = {reply["seq"]: reply for reply in first_two}
    assert by_seq[2]["type"] == "error" and by_seq[2]["code"] == "busy"
    assert by_seq[1]["type"] == "result"
    # 3 frames/s with a burst of 3: frames 1 and 2 took two tokens, so the second of these is one too many
    assert [reply["type"] for reply in later][:1] == ["result"]
    throttled = [reply for reply in later if reply["type"] == "error"]
    assert throttled and throttled[0]["code"] == "rate_limited" and throttled[0]["retry_after_ms"] > 0


def test_login_can_be_required(settings):
    settings.FER_LIVE_REQUIRE_LOGIN = True

    async def main():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/live/")
        communicator.scope["user"] = AnonymousUser()
        connected, _ = await communicator.connect(timeout=TIMEOUT_S)
        assert connected
        reply = await communicator.receive_json_from(timeout=TIMEOUT_S)
        closed = await communicator.receive_output(timeout=TIMEOUT_S)
        return reply, closed

    reply, closed = async_to_sync(main)()
    assert reply["code"] == "login_required"
    assert closed == {"type": "websocket.close", "code": CLOSE_LOGIN_REQUIRED}


def test_a_recording_keeps_only_emotion_scores_as_a_timeline_job(camera_frames, user, settings):
    async def scenario(communicator):
        started = await ask(communicator, {"type": "record", "action": "start"})
        for seq, image in enumerate(camera_frames[:8]):
            assert (await ask(communicator, _frame(image, seq, t=1000 + seq * 100)))["type"] == "result"
        saved = await ask(communicator, {"type": "record", "action": "stop"})
        return started, saved

    started, saved = run_session(scenario, user=user)
    assert started["type"] == "recording" and started["state"] == "started"
    assert saved["state"] == "saved" and saved["job_id"] == started["job_id"] and saved["frames"] == 8
    job = AnalysisJob.objects.get(pk=saved["job_id"])
    assert (job.kind, job.status, job.owner) == ("live", "succeeded", user)
    assert saved["url"] == f"/jobs/{job.id}/"
    assert job.result["info"]["frame_count"] == 8 and job.result["info"]["duration_s"] == pytest.approx(0.7)
    assert [track["frames"] for track in job.result["tracks"]] == [8]
    rows = list(csv.DictReader(io.StringIO(job.timeline_csv.read().decode())))
    assert [float(row["time_s"]) for row in rows] == pytest.approx([i * 0.1 for i in range(8)])
    assert job.timeline_json.size > 0
    stored = sorted(p.name for p in (settings.MEDIA_ROOT / "jobs" / str(job.id)).iterdir())
    assert stored == ["timeline.csv", "timeline.json"]  # no frame was kept
    assert not job.input_file and not job.annotated_file


def test_a_recording_is_saved_when_the_page_goes_away(camera_frames, user):
    async def scenario(communicator):
        await ask(communicator, {"type": "record", "action": "start"})
        for seq, image in enumerate(camera_frames[:3]):
            await ask(communicator, _frame(image, seq))

    run_session(scenario, user=user)
    job = AnalysisJob.objects.get(kind="live")
    assert job.status == "succeeded" and job.result["frames"] == 3


def test_a_recording_without_frames_leaves_nothing(user):
    async def scenario(communicator):
        await ask(communicator, {"type": "record", "action": "start"})
        return await ask(communicator, {"type": "record", "action": "stop"})

    assert run_session(scenario, user=user)["state"] == "discarded"
    assert not AnalysisJob.objects.exists()


def test_other_origins_are_refused():
    from fer_platform.asgi import application

    async def main():
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=[(b"origin", b"https://evil.example")])
        connected, _ = await communicator.connect(timeout=TIMEOUT_S)
        await communicator.disconnect()
        return connected

    assert async_to_sync(main)() is False


@pytest.mark.services
def test_camera_frames_are_answered_on_the_redis_layer(camera_frames, redis_url, settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }

    async def scenario(communicator):
        return [await ask(communicator, _frame(image, seq)) for seq, image in enumerate(camera_frames[:3])]

    replies = run_session(scenario)
    assert [len(reply["faces"]) for reply in replies] == [1, 1, 1]


def test_a_page_clock_that_stands_still_still_meets_the_recording_limit(camera_frames, user, settings):
    import asyncio

    settings.FER_LIVE_MAX_RECORDING_SECONDS = 1

    async def scenario(communicator):
        await ask(communicator, {"type": "record", "action": "start"})
        replies = []
        for seq, image in enumerate(camera_frames[:6]):
            await communicator.send_json_to(_frame(image, seq, t=0))
            replies.append(await communicator.receive_json_from(timeout=TIMEOUT_S))
            if replies[-1]["type"] == "recording":
                break
            await asyncio.sleep(0.3)
        return replies

    replies = run_session(scenario, user=user)
    saved = [reply for reply in replies if reply["type"] == "recording"]
    assert saved and saved[0]["state"] == "saved" and saved[0]["reason"] == "time limit"


def test_a_frame_from_the_far_future_is_recorded_at_the_servers_time(camera_frames, user):
    async def scenario(communicator):
        await ask(communicator, {"type": "record", "action": "start"})
        first = await ask(communicator, _frame(camera_frames[0], 1, t=0))
        last = await ask(communicator, _frame(camera_frames[1], 2, t=1e12))
        return first, last, await ask(communicator, {"type": "record", "action": "stop"})

    first, last, saved = run_session(scenario, user=user)
    assert first["type"] == last["type"] == "result"
    assert saved["state"] == "saved" and saved["seconds"] <= 3.0
    job = AnalysisJob.objects.get(pk=saved["job_id"])
    assert job.status == "succeeded" and job.result["info"]["duration_s"] <= 3.0


def test_a_failure_inside_the_server_is_answered_and_the_socket_goes_on(camera_frames, user, monkeypatch):
    from studies import services

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "live_recording_start", broken)

    async def scenario(communicator):
        refused = await ask(communicator, {"type": "record", "action": "start"})
        return refused, await ask(communicator, _frame(camera_frames[0], 5))

    refused, after = run_session(scenario, user=user)
    assert refused["type"] == "error" and refused["code"] == "internal"
    assert after["type"] == "result"


def test_one_address_holds_only_so_many_live_connections_at_once(settings):
    from studies.consumers import CLOSE_TOO_MANY

    settings.FER_LIVE_MAX_CONNECTIONS_PER_ADDRESS = 2

    def communicator(address):
        connection = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/live/")
        connection.scope.update(user=AnonymousUser(), client=[address, 50000])
        return connection

    async def main():
        first, second = communicator("203.0.113.9"), communicator("203.0.113.9")
        for connection in (first, second):
            await connection.connect(timeout=TIMEOUT_S)
            assert (await connection.receive_json_from(timeout=TIMEOUT_S))["type"] == "ready"
        third = communicator("203.0.113.9")
        await third.connect(timeout=TIMEOUT_S)
        refused = await third.receive_json_from(timeout=TIMEOUT_S)
        closed = await third.receive_output(timeout=TIMEOUT_S)
        elsewhere = communicator("198.51.100.4")
        await elsewhere.connect(timeout=TIMEOUT_S)
        other_address = (await elsewhere.receive_json_from(timeout=TIMEOUT_S))["type"]
        await first.disconnect()
        again = communicator("203.0.113.9")
        await again.connect(timeout=TIMEOUT_S)
        after_one_left = (await again.receive_json_from(timeout=TIMEOUT_S))["type"]
        for connection in (second, elsewhere, again):
            await connection.disconnect()
        return refused, closed, other_address, after_one_left

    refused, closed, other_address, after_one_left = async_to_sync(main)()
    assert refused["code"] == "too_many_connections" and "close another tab" in refused["message"]
    assert closed == {"type": "websocket.close", "code": CLOSE_TOO_MANY}
    assert other_address == after_one_left == "ready"


def test_a_connection_that_fails_to_start_gives_its_address_slot_back(settings, monkeypatch):
    from studies import live
    from studies.consumers import LIVE_CONNECTIONS

    settings.FER_LIVE_MAX_CONNECTIONS_PER_ADDRESS = 1

    def models_missing():
        raise OSError("the model file is unreadable")

    monkeypatch.setattr(live, "new_session", models_missing)

    async def main():
        connection = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/live/")
        connection.scope.update(user=AnonymousUser(), client=["203.0.113.77", 50000])
        await connection.connect(timeout=TIMEOUT_S)  # accepted, then the models fail to load
        with pytest.raises(OSError):
            await connection.wait(timeout=TIMEOUT_S)

    async_to_sync(main)()
    assert LIVE_CONNECTIONS.open("203.0.113.77", 1)  # the failed connection holds no slot
    LIVE_CONNECTIONS.close("203.0.113.77")
