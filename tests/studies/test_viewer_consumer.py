"""The viewer's capture WebSocket: consent checked, ad-stamped frames stored as samples, the end handled."""

import base64
from importlib import import_module

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings

from studies.consumers import CLOSE_NOT_ALLOWED
from studies.models import EmotionSample, ViewerSession
from studies.routing import websocket_urlpatterns
from studies.viewer_access import VIEWER_SESSIONS_KEY

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TIMEOUT_S = 60


@pytest.fixture(scope="module")
def frames(webcam_jpegs):
    return [base64.b64encode(jpeg).decode() for jpeg in webcam_jpegs[:8]]


def browser_session(*viewer_session_ids):
    """A Django session like the one the consent page leaves in the viewer's browser."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[VIEWER_SESSIONS_KEY] = [str(i) for i in viewer_session_ids]
    store.save()
    return store


def connect_and(session_store, viewer_session_id, scenario):
    async def main():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/viewer/{viewer_session_id}/")
        communicator.scope["session"] = session_store
        connected, _ = await communicator.connect(timeout=TIMEOUT_S)
        assert connected
        first = await communicator.receive_json_from(timeout=TIMEOUT_S)
        try:
            return first, await scenario(communicator)
        finally:
            await communicator.disconnect()

    return async_to_sync(main)()


async def ask(communicator, message):
    await communicator.send_json_to(message)
    return await communicator.receive_json_from(timeout=TIMEOUT_S)


@pytest.fixture
def viewer(user, make_campaign, join):
    return join(make_campaign(user))


def test_a_browser_without_consent_may_not_capture(viewer):
    async def closed(communicator):
        return await communicator.receive_output(timeout=TIMEOUT_S)

    first, close = connect_and(browser_session(), viewer.id, closed)
    assert first["code"] == "not_allowed" and "consent" in first["message"]
    assert close == {"type": "websocket.close", "code": CLOSE_NOT_ALLOWED}


def test_frames_of_the_ad_become_samples_and_the_check_stores_nothing(viewer, frames):
    async def scenario(communicator):
        replies = [await ask(communicator, {"type": "frame", "seq": 0, "t": 0, "image": frames[0]})]  # camera check
        for i, image in enumerate(frames[1:6], start=1):
            replies.append(await ask(communicator, {"type": "frame", "seq": i, "t": i * 100, "image": image,
                                                    "ad_ms": (i - 1) * 100}))
        finished = await ask(communicator, {"type": "finish"})
        stored = await database_sync_to_async(lambda: sorted(EmotionSample.objects.values_list("t_ms", "face")))()
        return replies, finished, stored

    ready, (replies, finished, stored) = connect_and(browser_session(viewer.id), viewer.id, scenario)
    assert ready["type"] == "ready"
    assert [r["type"] for r in replies] == ["result"] * 6 and all(len(r["faces"]) == 1 for r in replies)
    assert finished == {"type": "finished", "url": f"/v/session/{viewer.id}/thanks/"}
    assert stored == [(0, True), (100, True), (200, True), (300, True), (400, True)]
    viewer.refresh_from_db()
    assert viewer.status == "completed" and viewer.sample_count == 5 and viewer.rollup


def test_samples_pending_when_the_page_leaves_are_kept(viewer, frames):
    async def scenario(communicator):
        for i, image in enumerate(frames[:3]):
            await ask(communicator, {"type": "frame", "seq": i, "t": i * 100, "image": image, "ad_ms": i * 100})

    connect_and(browser_session(viewer.id), viewer.id, scenario)
    assert EmotionSample.objects.filter(session=viewer).count() == 3
    assert ViewerSession.objects.get(pk=viewer.pk).status == "in_progress"  # left before the end


def test_a_withdrawn_session_cannot_capture(viewer):
    from studies import services

    services.viewer_session_withdraw(viewer)

    async def closed(communicator):
        return await communicator.receive_output(timeout=TIMEOUT_S)

    first, close = connect_and(browser_session(viewer.id), viewer.id, closed)
    assert first["code"] == "not_allowed" and close["code"] == CLOSE_NOT_ALLOWED


def test_a_session_erased_while_the_ad_plays_is_told_so_at_the_finish(viewer, frames):
    from studies import services

    async def scenario(communicator):
        await ask(communicator, {"type": "frame", "seq": 1, "t": 0, "image": frames[0], "ad_ms": 0})
        await database_sync_to_async(lambda: services.viewer_session_erase(ViewerSession.objects.get(pk=viewer.pk)))()
        return await ask(communicator, {"type": "finish"})

    _, answer = connect_and(browser_session(viewer.id), viewer.id, scenario)
    assert answer["type"] == "error" and "data was deleted" in answer["message"]
    assert not ViewerSession.objects.exists() and not EmotionSample.objects.exists()


def test_bad_ad_times_are_refused_without_closing(viewer, frames):
    async def scenario(communicator):
        bad = await ask(communicator, {"type": "frame", "seq": 1, "t": 0, "image": frames[0], "ad_ms": -5})
        good = await ask(communicator, {"type": "frame", "seq": 2, "t": 10, "image": frames[0], "ad_ms": 0})
        return bad, good

    _, (bad, good) = connect_and(browser_session(viewer.id), viewer.id, scenario)
    assert bad["code"] == "bad_message" and good["type"] == "result"


def test_a_frame_past_the_ads_end_is_refused_alone_and_the_rest_of_its_second_kept(viewer, frames):
    past_the_end = viewer.campaign.ad_duration_s * 1000 + 60_000

    async def scenario(communicator):
        replies = []
        for seq, ad_ms in enumerate((100, 200, past_the_end, 300)):
            replies.append(await ask(communicator, {"type": "frame", "seq": seq, "t": seq * 100,
                                                    "image": frames[seq], "ad_ms": ad_ms}))
        finished = await ask(communicator, {"type": "finish"})
        stored = await database_sync_to_async(lambda: sorted(EmotionSample.objects.values_list("t_ms", flat=True)))()
        return replies, finished, stored

    _, (replies, finished, stored) = connect_and(browser_session(viewer.id), viewer.id, scenario)
    assert [reply["type"] for reply in replies] == ["result", "result", "error", "result"]
    assert replies[2]["code"] == "bad_message" and replies[2]["seq"] == 2 and "past the end" in replies[2]["message"]
    assert finished["type"] == "finished" and stored == [100, 200, 300]


def test_coming_back_and_replaying_the_opening_stores_no_moment_twice(viewer, frames):
    """The viewer left for the withdraw page at 0.4 s, went back, and a page sent the opening again."""
    def watch(ad_times):
        async def scenario(communicator):
            return [await ask(communicator, {"type": "frame", "seq": i, "t": i * 100, "image": frames[i],
                                             "ad_ms": ad_ms}) for i, ad_ms in enumerate(ad_times)]
        return scenario

    session = browser_session(viewer.id)
    connect_and(session, viewer.id, watch([0, 100, 200, 300, 400]))  # leaving flushes what was pending
    connect_and(session, viewer.id, watch([0, 100, 200, 400, 500, 600]))

    stored = sorted(EmotionSample.objects.filter(session=viewer).values_list("t_ms", flat=True))
    assert stored == [0, 100, 200, 300, 400, 500, 600]
    viewer.refresh_from_db()
    assert viewer.sample_count == 7 and viewer.status == "in_progress"
