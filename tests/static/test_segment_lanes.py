"""static/js/segment-lanes.js, run in Node: overlapping segments (and the report's key-moment labels,
measured in pixels) each get the lowest lane free at their start."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

LANES_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "segment-lanes.js"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (scripts/_setup.sh installs it)")


def lanes(items: list[dict], extent: str | None = None) -> dict:
    """FER_SEGMENT_LANES(items[, extent]) as JSON; `extent` is a JavaScript function's source."""
    placed = f"window.FER_SEGMENT_LANES({json.dumps(items)}, {extent or 'undefined'})"
    script = f"global.window = {{}}; require({json.dumps(str(LANES_JS))});" \
             f"process.stdout.write(JSON.stringify({placed}));"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_overlapping_segments_sit_in_lanes_of_their_own_and_later_ones_reuse_a_free_lane():
    segments = [{"id": 1, "start_s": 0, "end_s": 10}, {"id": 2, "start_s": 2, "end_s": 4},
                {"id": 3, "start_s": 4, "end_s": 6}, {"id": 4, "start_s": 10, "end_s": 12}]
    assert lanes(segments) == {"lanes": 2, "laneOf": {"1": 0, "2": 1, "3": 1, "4": 0}}


def test_no_segments_still_take_one_lane():
    assert lanes([]) == {"lanes": 1, "laneOf": {}}


def test_an_extent_function_places_items_by_its_own_range():
    labels = [{"id": 0, "from_px": 100, "to_px": 180}, {"id": 1, "from_px": 150, "to_px": 200},
              {"id": 2, "from_px": 180, "to_px": 220}]
    assert lanes(labels, "(mark) => [mark.from_px, mark.to_px]") == {"lanes": 2, "laneOf": {"0": 0, "1": 1, "2": 0}}
