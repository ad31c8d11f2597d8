"""The per-frame emotion timeline, streamed to CSV and JSON as frames come, plus the
bounded summaries (per track, downsampled chart) kept in memory.

Both files are written under temporary names beside their targets and renamed only
by `finish()`, so a reader never sees a half-written timeline.
"""

from __future__ import annotations

import csv
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .labels import EMOTIONS

CSV_COLUMNS = ("time_s", "frame", "track_id", "x", "y", "w", "h") + EMOTIONS


def partial_path(path: Path) -> Path:
    """A hidden temporary name in the target's folder, so the final rename is atomic."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")


class TimelineWriter:
    """CSV rows `CSV_COLUMNS`; JSON `{"columns", "info", "rows": [{...}], "tracks": [...]}`."""

    def __init__(self, csv_path, json_path, *, info: dict) -> None:
        self._targets = [Path(csv_path), Path(json_path)]
        self._partials = [partial_path(path) for path in self._targets]
        for path in self._targets:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._csv_file = self._partials[0].open("w", newline="", encoding="utf-8")
        self._json_file = self._partials[1].open("w", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(CSV_COLUMNS)
        self._json_file.write('{"columns": %s,\n "info": %s,\n "rows": [' % (json.dumps(CSV_COLUMNS),
                                                                            json.dumps(info)))
        self._rows = 0

    def write(self, frame_index: int, time_s: float, faces) -> None:
        for face in faces:
            probabilities = [round(float(face.probabilities[name]), 4) for name in EMOTIONS]
            box = [int(v) for v in face.box]
            self._csv.writerow([f"{time_s:.3f}", frame_index, face.track_id, *box, *probabilities])
            row = {"time_s": round(time_s, 3), "frame": frame_index, "track_id": face.track_id, "box": box,
                   "probabilities": dict(zip(EMOTIONS, probabilities))}
            self._json_file.write(("\n  " if self._rows == 0 else ",\n  ") + json.dumps(row))
            self._rows += 1

    def finish(self, tracks: list[dict]) -> None:
        self._json_file.write('\n ],\n "tracks": %s\n}\n' % json.dumps(tracks))
        for handle in (self._csv_file, self._json_file):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        for partial, target in zip(self._partials, self._targets):
            os.replace(partial, target)

    def abort(self) -> None:
        for handle in (self._csv_file, self._json_file):
            handle.close()
        for partial in self._partials:
            partial.unlink(missing_ok=True)


@dataclass
class TrackSummary:
    track_id: int
    first_time_s: float
    last_time_s: float
    frames: int = 0
    label_frames: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EMOTIONS, 0))

    @property
    def dominant(self) -> str:
        return max(EMOTIONS, key=lambda name: self.label_frames[name])

    def to_dict(self) -> dict:
        return {
            "track_id": self.track_id, "first_time_s": round(self.first_time_s, 3),
            "last_time_s": round(self.last_time_s, 3), "frames": self.frames, "dominant": self.dominant,
            "shares": {name: round(count / self.frames, 4) for name, count in self.label_frames.items()},
        }


class TimelineSummary:
    """Per-track totals and a chart of at most `chart_points` averaged points per track."""

    # A live recording's length is unknown until it ends: fine bins, merged down by chart().
    OPEN_ENDED_BIN_S = 0.2

    def __init__(self, *, duration_s: float | None, chart_points: int) -> None:
        self.tracks: dict[int, TrackSummary] = {}
        self.chart_points = max(1, chart_points)
        self._bin_s = self.OPEN_ENDED_BIN_S if duration_s is None else max(duration_s, 1e-3) / self.chart_points
        self._bins: dict[tuple[int, int], list] = {}  # (track, bin) -> [probability sums, count, first time]

    def add(self, time_s: float, faces) -> None:
        for face in faces:
            track = self.tracks.get(face.track_id)
            if track is None:
                track = self.tracks[face.track_id] = TrackSummary(face.track_id, time_s, time_s)
            track.last_time_s = time_s
            track.frames += 1
            track.label_frames[face.label] += 1
            key = (face.track_id, int(time_s / self._bin_s))
            probabilities = np.array([face.probabilities[name] for name in EMOTIONS], np.float64)
            entry = self._bins.get(key)
            if entry is None:
                self._bins[key] = [probabilities, 1, time_s]
            else:
                entry[0] += probabilities
                entry[1] += 1

    def track_dicts(self) -> list[dict]:
        return [self.tracks[track_id].to_dict() for track_id in sorted(self.tracks)]

    def chart(self) -> list[dict]:
        """[{time_s, track_id, probabilities}] sorted by track then time, at most `chart_points` per track;
        time_s is the first frame of the averaged stretch."""
        per_track: dict[int, list] = {}
        for (track_id, _), entry in sorted(self._bins.items()):
            per_track.setdefault(track_id, []).append(entry)
        points = []
        for track_id, entries in per_track.items():
            group = -(-len(entries) // self.chart_points)  # consecutive bins merged per point
            for start in range(0, len(entries), group):
                merged = entries[start:start + group]
                sums = sum(entry[0] for entry in merged)
                count = sum(entry[1] for entry in merged)
                points.append({"time_s": round(merged[0][2], 3), "track_id": track_id,
                               "probabilities": {name: round(float(v / count), 4) for name, v in zip(EMOTIONS, sums)}})
        return points
