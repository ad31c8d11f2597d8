"""static/js/recording-upload.js, run in Node against a stand-in MediaRecorder and fetch: what the
viewer's browser sends while it records (tests/static/recording_upload_scenarios.js)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).with_name("recording_upload_scenarios.js")

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (scripts/_setup.sh installs it)")


@pytest.fixture(scope="module")
def results():
    done = subprocess.run(["node", str(SCENARIOS)], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_chunks_go_up_in_order_with_their_offset(results):
    sent = results["in_order"]["requests"]
    assert [(r["offset"], r["bytes"], r["start_ms"]) for r in sent] == [(0, "aaa", 1234), (3, "bb", 1234)]
    assert sent[0]["part"] == sent[1]["part"] and len(sent[0]["part"]) == 36
    assert results["in_order"]["events"] == ["stored 3", "stored 5"]


def test_a_chunk_lost_to_the_network_is_sent_again_from_the_same_offset(results):
    sent = results["network_error_then_ok"]["requests"]
    assert [(r["offset"], r["bytes"]) for r in sent] == [(0, "aaa"), (0, "aaa")]
    assert results["network_error_then_ok"]["seconds"] >= 1.9  # after a pause, not in a tight loop


def test_a_refusal_stops_the_recording(results):
    refused = results["refused"]
    assert len(refused["requests"]) == 1 and refused["events"] == ["refused"]
    assert refused["recorder"] == "inactive" and refused["pending"] == 0


def test_a_backlog_goes_up_in_bounded_requests_without_gaps(results):
    sent = results["backlog"]["requests"]
    assert [len(r["bytes"]) for r in sent] == [1, 10, 10, 5]
    offsets = [r["offset"] for r in sent]
    assert offsets == [0, 1, 11, 21] and "".join(r["bytes"] for r in sent) == "x" + "y" * 25


def test_stopping_uploads_the_last_chunk_before_the_page_finishes(results):
    stopped = results["stop_sends_the_last_chunk"]
    assert stopped["paused"] == "paused" and stopped["recorder"] == "inactive"
    assert "".join(r["bytes"] for r in stopped["requests"]) == "aaaend"
