"""static/js/emotion-colors.js, run in Node: the emotions' chart colours and line styles must tell the
emotions apart without colour vision and stand out from a white chart (WCAG 1.4.11, 1.4.1), and the text
written on an emotion's colour (timeline segments, the live camera's labels) must read at 4.5:1."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from inference.labels import EMOTIONS

SCENARIOS = Path(__file__).with_name("emotion_colors_scenarios.js")

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (scripts/_setup.sh installs it)")


def luminance(hex_color: str) -> float:
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def emotions():
    done = subprocess.run(["node", str(SCENARIOS)], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_every_emotion_has_a_colour(emotions):
    assert sorted(emotions) == sorted(EMOTIONS)


def test_each_colour_stands_out_from_a_white_chart(emotions):
    low = {name: round(contrast(style["color"], "#ffffff"), 2) for name, style in emotions.items()
           if contrast(style["color"], "#ffffff") < 3}
    assert low == {}, f"under 3:1 on white: {low}"


def test_text_on_an_emotion_colour_reads(emotions):
    for name, style in emotions.items():
        assert contrast(style["text"], style["color"]) >= 4.5, (name, style)


def test_the_lines_differ_in_more_than_colour(emotions):
    dashes = [tuple(style["dash"]) for style in emotions.values()]
    points = [style["point"] for style in emotions.values()]
    assert len(set(dashes)) == len(EMOTIONS) and len(set(points)) == len(EMOTIONS)


def test_the_markers_are_spread_along_the_line_and_do_not_pile_up(emotions):
    for name, style in emotions.items():
        assert 8 <= len(style["markers"]) <= 20, (name, style["markers"])
    first_markers = [style["markers"][0] for style in emotions.values()]
    assert len(set(first_markers)) == len(EMOTIONS)


def test_the_exported_chart_draws_each_emotion_as_the_page_does(emotions):
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from studies import reports
    from studies.report_exports import EMOTION_STYLES, chart_figure

    assert {name: (style["color"], tuple(style["dash"])) for name, style in emotions.items()} == EMOTION_STYLES
    figure = chart_figure({**reports.build_report(np.zeros((0, 8, reports.ROLLUP_COLUMNS)), []),
                           "campaign": {"name": "Spot", "ad_duration_s": 2.0}})
    try:
        drawn = {line.get_label(): (to_hex(line.get_color()), line.get_linestyle()) for line in figure.axes[0].lines}
    finally:
        plt.close(figure)
    assert drawn == {name: (style["color"], "--" if style["dash"] else "-") for name, style in emotions.items()}
