"""Turning stored results into what the result templates show.

Images: one row per face with its seven probabilities in percent. Videos: one
row per face track (dominant emotion, share of time in each emotion) and the
emotion-over-time series for Chart.js.
"""

import json
from pathlib import PurePosixPath

from inference.labels import EMOJI, EMOTIONS
from studies.archives import VIDEO_EXTENSIONS
from studies.models import AnalysisJob, ViewerSession
from studies.reports import (ATTENTION_DIP_POINTS, MIN_MOMENT_LIFT, MIN_VIEWERS_FOR_VERDICT, SHARE_MIN_VIEWERS,
                             signed_points)

MAX_CHARTED_TRACKS = 6


def _box_of(face):
    box = face.get("box") or ()
    if isinstance(box, dict):
        return tuple(int(box.get(key, 0)) for key in ("x", "y", "w", "h"))
    return tuple(int(value) for value in box)


def face_rows(result):
    """Per-face probabilities in percent, in the canonical class order."""
    rows = []
    for number, face in enumerate((result or {}).get("faces", []), start=1):
        probabilities = face.get("probabilities", {})
        top = face.get("label") or max(probabilities, key=probabilities.get)
        emotions = [
            {
                "name": name,
                "emoji": EMOJI[name],
                "percent": 100.0 * float(probabilities.get(name, 0.0)),
                "is_top": name == top,
            }
            for name in EMOTIONS
        ]
        rows.append(
            {
                "number": number,
                "label": top,
                "emoji": EMOJI.get(top, ""),
                "confidence_percent": 100.0 * float(face.get("confidence", probabilities.get(top, 0.0))),
                "box": _box_of(face),
                "emotions": emotions,
                "chart_json": json.dumps(
                    {
                        "emotions": list(EMOTIONS),
                        "labels": [f"{EMOJI[name]} {name}" for name in EMOTIONS],
                        "values": [round(row["percent"], 2) for row in emotions],
                    }
                ),
            }
        )
    return rows


def emotion_summary(face_rows):
    return _emotion_counts(row["label"] for row in face_rows)


def _emotion_counts(labels):
    """Each emotion with how many faces or tracks show it, most frequent first."""
    counts = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return [
        {"name": name, "emoji": EMOJI.get(name, ""), "count": count}
        for name, count in sorted(counts.items(), key=lambda item: -item[1])
    ]


def _image_job_context(job):
    rows = face_rows(job.result) if job.status == AnalysisJob.Status.SUCCEEDED else []
    return {
        "job": job,
        # "clip.mp4" that holds a JPEG is analysed as the photo it is: say so, or it looks like a lost video
        # (its name says what it is; its content decides how it is analysed: studies.media_checks)
        "named_as_video": PurePosixPath(job.original_filename).suffix.lower() in VIDEO_EXTENSIONS,
        "is_terminal": job.is_finished,
        "face_rows": rows,
        "emotion_summary": emotion_summary(rows),
        "timings": (job.result or {}).get("timings_ms", {}),
    }


def _track_rows(result):
    rows = []
    for track in (result or {}).get("tracks", []):
        shares = track.get("shares", {})
        dominant = track.get("dominant") or (max(shares, key=shares.get) if shares else "")
        rows.append(
            {
                "track_id": track.get("track_id"),
                "first_time_s": float(track.get("first_time_s", 0.0)),
                "last_time_s": float(track.get("last_time_s", 0.0)),
                "frames": track.get("frames", 0),
                "dominant": dominant,
                "dominant_emoji": EMOJI.get(dominant, ""),
                "shares": [
                    {
                        "name": name,
                        "emoji": EMOJI[name],
                        "percent": 100.0 * float(shares.get(name, 0.0)),
                        "is_top": name == dominant,
                    }
                    for name in EMOTIONS
                ],
            }
        )
    return rows


def _chart_points(chart):
    """The chart series as (time_s, track_id, probabilities) points, whichever way it is nested."""
    if isinstance(chart, dict):
        chart = chart.get("points") or chart.get("series") or chart.get("tracks") or []
    for item in chart or []:
        if "points" in item:  # one entry per track holding its own points
            for point in item["points"]:
                yield point.get("time_s"), item.get("track_id"), point.get("probabilities", {})
        else:
            yield item.get("time_s"), item.get("track_id"), item.get("probabilities", {})


def video_chart_json(result) -> str:
    """Per track, one line per emotion over time (percent), for static/js/job-progress.js."""
    tracks = {}
    for time_s, track_id, probabilities in _chart_points((result or {}).get("chart")):
        series = tracks.setdefault(track_id, {"track_id": track_id, "times": [], "values": {n: [] for n in EMOTIONS}})
        series["times"].append(round(float(time_s), 3))
        for name in EMOTIONS:
            series["values"][name].append(round(100.0 * float(probabilities.get(name, 0.0)), 1))
    charted = sorted(tracks.values(), key=lambda series: (series["track_id"] is None, series["track_id"]))
    return json.dumps(
        {
            "emotions": list(EMOTIONS),
            "labels": {name: f"{EMOJI[name]} {name}" for name in EMOTIONS},
            "tracks": charted[:MAX_CHARTED_TRACKS],
            "duration_s": ((result or {}).get("info") or {}).get("duration_s"),
        }
    )


def analysis_speed(realtime_factor) -> str:
    """The analysis time against the video's length, put so that "0.19" does not read as slow motion."""
    if not realtime_factor:
        return ""
    if 0.95 <= realtime_factor <= 1.05:
        return "analysed in about real time"
    if realtime_factor < 1:
        return f"analysed {1 / realtime_factor:.1f}× faster than real time"
    return f"the analysis took {realtime_factor:.1f}× the video's length"


def _video_job_context(job):
    succeeded = job.status == AnalysisJob.Status.SUCCEEDED
    result = job.result if succeeded else None
    tracks = _track_rows(result)
    return {
        "job": job,
        "is_terminal": job.is_finished,
        "face_rows": [],
        "emotion_summary": [],
        "timings": (result or {}).get("timings", {}),
        "tracks": tracks,
        "video_info": _video_facts(result),
        "analysis_speed": analysis_speed((result or {}).get("realtime_factor")),
        "chart_json": video_chart_json(result) if succeeded else "",
    }


def _video_facts(result) -> dict:
    """The video's size, rate and length, with the frames actually analysed: a container's own
    count can include frames an edit list hides (98 announced, 95 decoded)."""
    info = dict((result or {}).get("info", {}))
    if (result or {}).get("frames"):
        info["frame_count"] = result["frames"]
    return info


def job_context(job):
    return _video_job_context(job) if job.has_timeline else _image_job_context(job)


def track_summary(tracks):
    """Dominant emotions across a video's tracks, like the per-face summary of a photo."""
    return _emotion_counts(track["dominant"] for track in tracks)


def job_summary(job):
    """The emotions a list row shows for a job, without the rest of its page (its chart above all)."""
    if job.status != AnalysisJob.Status.SUCCEEDED:
        return []
    if job.has_timeline:
        return track_summary(_track_rows(job.result))
    return emotion_summary(face_rows(job.result))


def _percent(value):
    return None if value is None else 100.0 * float(value)


def report_tables(report: dict) -> dict:
    """The report's numbers as the campaign templates show them: emoji, percentages, a row per segment."""
    return {
        "overall_rows": [{"name": name, "emoji": EMOJI[name], "percent": _percent(report["overall"][name])}
                         for name in EMOTIONS],
        "segment_mean_rows": [
            {"segment": segment,
             "cells": [{"name": name, "percent": _percent(segment["means"][name]), "is_dominant": name == segment["dominant"]}
                       for name in EMOTIONS]}
            for segment in report["segments"]
        ],
        "segment_rows": [_segment_row(segment) for segment in report["segments"]],
        "moment_rows": [_moment_row(peak) for peak in report.get("moments", {}).get("peaks", [])],
        "attention_dip": _attention_dip_row(report.get("moments", {}).get("attention_dip")),
        "min_moment_points": round(100 * MIN_MOMENT_LIFT),
        "min_dip_points": round(100 * ATTENTION_DIP_POINTS),
        "share_min_viewers": SHARE_MIN_VIEWERS,
        "min_viewers": MIN_VIEWERS_FOR_VERDICT,
        "emotions": [(name, EMOJI[name]) for name in EMOTIONS],
    }


def audience_rows(report: dict, query) -> list[dict]:
    """The report's `audience` as the producer's report shows it: per question, each answer with its
    viewers and the link that narrows the report to them (or, for the answer picked, back to everyone).
    `query` is the request's GET (the report's other filters are kept)."""
    rows = []
    questions = (("age_band", "Age", ViewerSession.AgeBand), ("gender", "Gender", ViewerSession.Gender))
    for key, question, choices in questions:
        picked = report["filters"][key]  # what the figures hold, not what the address asked for
        answers = []
        for stored, viewers in report["audience"][key].items():
            value = stored or ViewerSession.NOT_GIVEN  # "" is how a session stores "prefer not to say"
            narrowed = query.copy()
            narrowed[key] = "" if value == picked else value
            answers.append({"label": choices(stored).label if stored else "not given", "viewers": viewers,
                            "picked": value == picked, "url": "?" + narrowed.urlencode()})
        rows.append({"question": question, "answers": answers})
    return rows


def _moment_row(peak: dict) -> dict:
    lift = peak["lift"]
    return {"moment": peak, "emoji": EMOJI[peak["emotion"]], "lift_points": signed_points(lift["mean"]),
            "lift_low_points": signed_points(lift["low"]), "lift_high_points": signed_points(lift["high"])}


def _attention_dip_row(dip: dict | None) -> dict | None:
    if dip is None:
        return None
    return {"dip": dip, "face_percent": _percent(dip["face_visible_rate"]),
            "ad_face_percent": _percent(dip["ad_face_visible_rate"])}


def _segment_row(segment: dict) -> dict:
    """A segment's verdict figures as the table shows them: percent for levels and percentage points
    (signed) for the lift, the same units as the CSV exports, where the report itself keeps fractions."""
    lift = segment["lift"]
    return {
        "segment": segment,
        "expected_percent": _percent(segment["expected_mean"]),
        "face_percent": _percent(segment["face_visible_rate"]),
        "lift_points": signed_points(lift["mean"]),
        "lift_low_points": signed_points(lift["low"]),
        "lift_high_points": signed_points(lift["high"]),
    }
