"""A campaign report as files: segment table and curves as CSV (in percent, like the report page), and the chart
as a PNG image."""

import csv
import io
import re
from collections.abc import Iterable, Iterator

from inference.labels import EMOTIONS
from studies.models import ViewerSession
from studies.report_filters import ReportFilters

# Each emotion's colour and dash pattern, as on the report page (static/js/emotion-colors.js;
# tests/static/test_emotion_colors.py keeps the two the same): the dashes tell the curves apart
# for readers who cannot tell the colours apart.
EMOTION_STYLES = {
    "angry": ("#dc3545", (3, 3)),
    "disgust": ("#6a994e", (12, 3, 3, 3, 3, 3)),
    "fear": ("#6f42c1", (12, 3, 3, 3)),
    "happy": ("#b38600", ()),
    "sad": ("#0d6efd", (8, 4)),
    "surprise": ("#b85500", (18, 5)),
    "neutral": ("#6c757d", (2, 2, 8, 2)),
}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def file_stem(campaign, filters: ReportFilters = ReportFilters()) -> str:
    """The campaign's name for file names, and the viewers a filtered report stands for
    ("fizzy-lemon-woman-25-34-face-visible-90"), so two exports of one campaign do not pass for each other."""
    stem = _slug(campaign.name)[:60] or "campaign"
    narrowed = filters.label()
    return f"{stem}-{_slug(narrowed)}" if narrowed else stem


def segments_csv(report: dict) -> str:
    """One row per segment. Every figure is in percent, as on the report page and in the curves CSV;
    lifts are differences of percentages, hence `_pct_points`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["segment", "start_s", "end_s", "expected", "viewers", "face_visible_pct",
                     *[f"mean_{name}_pct" for name in EMOTIONS], "dominant", "expected_mean_pct",
                     "lift_pct_points", "lift_ci95_low_pct_points", "lift_ci95_high_pct_points",
                     "verdict", "verdict_reason"])
    for segment in report["segments"]:
        lift = segment["lift"]
        writer.writerow([segment["name"], segment["start_s"], segment["end_s"], "+".join(segment["expected"]),
                         segment["viewers"], _percent(segment["face_visible_rate"]),
                         *[_percent(segment["means"][name]) for name in EMOTIONS], segment["dominant"] or "",
                         _percent(segment["expected_mean"]), _percent(lift["mean"]), _percent(lift["low"]),
                         _percent(lift["high"]), segment["verdict"], segment["verdict_reason"]])
    return out.getvalue()


def curves_csv(report: dict) -> str:
    """One row per time bin, in percent like the segments CSV (the report's curves already are)."""
    curves = report["curves"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_s", "viewers", "face_visible_pct",
                     *[f"{name}_{part}_pct" for name in EMOTIONS for part in ("mean", "ci95_low", "ci95_high")]])
    for i, time_s in enumerate(curves["times_s"]):
        writer.writerow([time_s, curves["viewers"][i], _percent(curves["face_visible_rate"][i]),
                         *[_blank(curves["emotions"][name][part][i]) for name in EMOTIONS
                           for part in ("mean", "low", "high")]])
    return out.getvalue()


def samples_csv_chunks(viewers: Iterable[tuple[ViewerSession, list[tuple]]]) -> Iterator[bytes]:
    """Every sample of every viewer, a row each, for analysis elsewhere (R, a spreadsheet), in percent
    like the other exports; one chunk per viewer (selectors.campaign_samples gives them). Where no
    face was visible the detection and emotion cells are blank, not 0: an average over a column
    then counts only the moments a face was read, as the report does."""
    yield _csv_line(["viewer", "status", "age_band", "gender", "time_s", "face_visible", "detection_pct",
                     *[f"{name}_pct" for name in EMOTIONS]])
    for session, samples in viewers:
        out = io.StringIO()
        writer = csv.writer(out)
        about = [session.viewer_id, session.status, session.self_report_age, session.self_report_gender]
        for t_ms, face, detection, *emotions in samples:
            read = [detection / 10, *[value / 10 for value in emotions]] if face else [""] * (1 + len(emotions))
            writer.writerow([*about, t_ms / 1000, int(face), *read])
        yield out.getvalue().encode()


def _csv_line(values) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue().encode()


def _percent(fraction):
    """A 0..1 figure of the report as percent (or percentage points for a lift); blank when missing."""
    return "" if fraction is None else round(100 * fraction, 2)


def _blank(value):
    return "" if value is None else value


def chart_png(report: dict) -> bytes:
    """Emotion curves (percent, with the 95 % band) over the ad, segments shaded and named."""
    import matplotlib.pyplot as plt

    figure = chart_figure(report)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def chart_figure(report: dict):
    """chart_png's matplotlib figure (the caller closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    curves = report["curves"]
    times = np.array(curves["times_s"], float)
    figure, axes = plt.subplots(figsize=(11, 4.2), dpi=110)
    for segment in report["segments"]:
        axes.axvspan(segment["start_s"], segment["end_s"], color="#adb5bd", alpha=0.18, lw=0)
        axes.text((segment["start_s"] + segment["end_s"]) / 2, 101, segment["name"], ha="center", va="bottom",
                  fontsize=8, color="#495057")
    for name in EMOTIONS:
        series = curves["emotions"][name]
        mean = np.array([np.nan if v is None else v for v in series["mean"]], float)
        low = np.array([np.nan if v is None else v for v in series["low"]], float)
        high = np.array([np.nan if v is None else v for v in series["high"]], float)
        color, dashes = EMOTION_STYLES[name]
        axes.plot(times, mean, color=color, lw=1.8, label=name, **({"dashes": dashes} if dashes else {}))
        axes.fill_between(times, low, high, color=color, alpha=0.12, lw=0)
    campaign = report.get("campaign", {})
    narrowed = ReportFilters(**report["filters"]).label() if report.get("filters") else ""
    axes.set(xlim=(0, campaign.get("ad_duration_s") or (times[-1] if len(times) else 1)), ylim=(0, 100),
             xlabel="time in the ad (s)", ylabel="probability (%), mean of viewers with 95 % band")
    viewers = f"{report['viewers']} viewer{'' if report['viewers'] == 1 else 's'}"
    if narrowed:
        viewers += f" ({narrowed})"
    axes.set_title(f"{campaign.get('name', '')}: {viewers}", loc="left", fontsize=11, pad=16)
    axes.legend(ncol=7, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False, handlelength=4)
    axes.grid(alpha=0.25)
    figure.tight_layout()
    return figure
