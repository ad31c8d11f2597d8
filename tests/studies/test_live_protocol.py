"""The live-camera message rules: parsing, size limits, frame pacing."""

import base64
import json

import pytest

from studies.live_protocol import (FramePacer, LiveProtocolError, max_message_chars, parse_frame, parse_message,
                                   unknown_type_error)

LIMIT = 1000


def _frame(**fields) -> dict:
    return {"type": "frame", "seq": 1, "t": 5.0, "image": base64.b64encode(b"\xff\xd8jpeg").decode(), **fields}


def test_a_good_frame_is_decoded_with_its_seq_and_time():
    frame = parse_frame(parse_message(json.dumps(_frame()), max_chars=max_message_chars(LIMIT)), max_frame_bytes=LIMIT)
    assert (frame.seq, frame.t_ms, frame.image) == (1, 5.0, b"\xff\xd8jpeg")


def test_a_data_url_is_accepted():
    data_url = "data:image/jpeg;base64," + base64.b64encode(b"abc").decode()
    assert parse_frame(_frame(image=data_url), max_frame_bytes=LIMIT).image == b"abc"


@pytest.mark.parametrize("text, code", [
    (None, "bad_message"),  # a binary message
    ("not json", "bad_message"),
    ("[1, 2]", "bad_message"),
    ('{"seq": 1}', "bad_message"),
    ("x" * (max_message_chars(LIMIT) + 1), "too_large"),
    pytest.param("[" * 2000, "bad_message", id="nested deeper than the stack"),  # RecursionError, not a crash
])
def test_unusable_messages_are_named(text, code):
    with pytest.raises(LiveProtocolError) as raised:
        parse_message(text, max_chars=max_message_chars(LIMIT))
    assert raised.value.code == code and raised.value.message


@pytest.mark.parametrize("fields, code", [
    ({"image": "%%%not base64%%%"}, "bad_base64"),
    ({"image": ""}, "bad_message"),
    ({"image": None}, "bad_message"),
    ({"seq": "one"}, "bad_message"),
    ({"t": "now"}, "bad_message"),
    ({"t": -1e308}, "bad_message"),
    ({"t": 1e308}, "bad_message"),
    ({"image": base64.b64encode(b"x" * (LIMIT + 1)).decode()}, "too_large"),
])
def test_bad_frames_are_refused_with_a_code_and_their_seq(fields, code):
    with pytest.raises(LiveProtocolError) as raised:
        parse_frame(_frame(**fields), max_frame_bytes=LIMIT)
    assert raised.value.code == code
    reply = raised.value.to_message()
    assert reply["type"] == "error" and reply["code"] == code
    if "seq" not in fields:
        assert reply["seq"] == 1


def test_an_unknown_type_is_named_back_only_in_part():
    assert unknown_type_error("dance").message == "Unknown message type 'dance'."
    assert len(unknown_type_error("x" * 1_000_000).message) < 80


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_pacer_allows_a_second_of_burst_then_the_rate():
    clock = FakeClock()
    pacer = FramePacer(10, clock=clock)
    assert all(pacer.take() is None for _ in range(10))
    wait_ms = pacer.take()
    assert wait_ms is not None and 90 <= wait_ms <= 100
    clock.now += 0.1
    assert pacer.take() is None
    assert pacer.take() is not None
    clock.now += 10.0  # a long pause does not bank more than the burst
    assert sum(pacer.take() is None for _ in range(20)) == 10
