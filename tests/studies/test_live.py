"""A live recording's times: the page's clock, held to the server's."""

import pytest

from inference.live import LiveFrame
from studies.live import HEARTBEAT_S, PAGE_CLOCK_SLACK_S, LiveRecording
from tests.studies.test_live_protocol import FakeClock


@pytest.fixture
def recording():
    clock = FakeClock()
    recording = LiveRecording("job", max_seconds=10, clock=clock)
    yield recording, clock
    recording.discard()


def _at(time_s: float) -> LiveFrame:
    return LiveFrame(time_s=time_s, width=640, height=480, faces=[])


def test_the_pages_times_are_kept_when_they_agree_with_the_server(recording):
    recording, clock = recording
    for step in range(5):
        clock.now = 100 + step * 0.1
        recording.add(_at(5000.0 + step * 0.1))
    assert recording.duration_s == pytest.approx(0.4) and not recording.is_full


def test_a_page_clock_that_stands_still_cannot_record_past_the_limit(recording):
    recording, clock = recording
    for step in range(12):
        clock.now = step
        recording.add(_at(0.0))
    assert recording.duration_s == 0.0 and recording.is_full  # 11 s by the server's clock


def test_times_never_go_back_nor_run_far_ahead_of_the_servers(recording):
    recording, clock = recording
    recording.add(_at(1.0))
    clock.now = 1.0
    recording.add(_at(1e300))
    assert recording.duration_s == pytest.approx(1.0 + PAGE_CLOCK_SLACK_S)
    recording.add(_at(-1e300))
    assert recording.duration_s == pytest.approx(1.0 + PAGE_CLOCK_SLACK_S)
    result = recording.finish()
    assert result["info"]["duration_s"] == pytest.approx(3.0) and result["frames"] == 3


def test_a_heartbeat_is_due_every_few_seconds_by_the_servers_clock(recording):
    recording, clock = recording
    assert not recording.heartbeat_due()
    clock.now += HEARTBEAT_S - 0.1
    assert not recording.heartbeat_due()
    clock.now += 0.2
    assert recording.heartbeat_due()
    assert not recording.heartbeat_due()  # the next one counts from this one
