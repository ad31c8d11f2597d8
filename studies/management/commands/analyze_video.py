"""`python manage.py analyze_video PATH [--out OUT.mp4] [--csv OUT.csv] [--json]`.

Calls the inference library directly (no jobs, no worker): writes the annotated
MP4, the per-frame timeline as CSV (and JSON beside it), shows a progress bar on
stderr, and prints each face track's dominant emotion and share of time per
emotion, or the whole result as JSON with --json.
"""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studies.media_checks import video_limits
from studies.services import video_engine_options


def _default_out(path: Path) -> Path:
    return Path(settings.BASE_DIR) / "var" / "annotated" / f"{path.stem}_annotated.mp4"


class _ProgressBar:
    """process_video's progress callback drawing a tqdm bar (frames, frames/s, time left)."""

    def __init__(self, *, enabled: bool, frames_total: int):
        from tqdm import tqdm

        # Open it only once the models are loaded: its clock (frames/s, time left) starts here, and
        # the loaders' log lines would otherwise cut the bar in two.
        self.bar = None
        if enabled:
            self.bar = tqdm(total=frames_total or None, unit="frame", desc="Analysing", file=sys.stderr)

    def __call__(self, frames_done: int, frames_total: int, frames_per_s: float) -> None:
        if self.bar is None:
            return
        if frames_total and frames_total != self.bar.total:
            self.bar.total = max(frames_total, frames_done)
        self.bar.update(frames_done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = "Track faces through a video and classify their emotions; writes an annotated MP4 and a timeline."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="video file (mp4, mov, avi, mkv, webm)")
        parser.add_argument(
            "--out", metavar="OUT.mp4", help="annotated video (default: var/annotated/NAME_annotated.mp4)"
        )
        parser.add_argument("--csv", metavar="OUT.csv", help="per-frame timeline CSV (default: beside --out)")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON document")
        parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")

    def handle(self, *args, **options):
        from inference import VideoOptions, get_engine, probe_video, process_video, startup_notices_hidden
        from inference.errors import InferenceError

        path = Path(options["path"])
        if path.is_dir():
            raise CommandError(f"{path}: is a directory, not a video file.")
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        out_path = Path(options["out"]) if options["out"] else _default_out(path)
        csv_path = Path(options["csv"]) if options["csv"] else out_path.with_name(f"{path.stem}_timeline.csv")
        json_path = csv_path.with_suffix(".json")
        for folder in {out_path.parent, csv_path.parent}:
            folder.mkdir(parents=True, exist_ok=True)

        engine_options, video_options = video_engine_options(), VideoOptions(limits=video_limits())
        try:
            info = probe_video(path, limits=video_options.limits)
            # The same engine process_video takes, loaded before the bar opens (see _ProgressBar).
            with startup_notices_hidden():
                get_engine(engine_options).warm_up(detectors=(video_options.detector,))
        except InferenceError as error:
            raise CommandError(f"{path}: {error}") from error
        progress = _ProgressBar(enabled=not options["no_progress"], frames_total=info.frame_count)
        try:
            result = process_video(
                path,
                annotated_path=out_path,
                timeline_csv_path=csv_path,
                timeline_json_path=json_path,
                options=engine_options,
                video_options=video_options,
                progress=progress,
            )
        except InferenceError as error:
            raise CommandError(f"{path}: {error}") from error
        finally:
            progress.close()

        report = {
            **result.to_dict(),
            "path": str(path),
            "annotated_video": str(out_path),
            "timeline_csv": str(csv_path),
            "timeline_json": str(json_path),
        }
        if options["json"]:
            report.pop("chart", None)
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self._print_text(report)

    def _print_text(self, report: dict) -> None:
        from inference import EMOJI, EMOTIONS

        info = report.get("info", {})
        tracks = report.get("tracks", [])
        factor = report.get("realtime_factor")
        speed = f", analysed at {factor:.2f}x real time" if isinstance(factor, (int, float)) else ""
        self.stdout.write(
            f"{report['path']}: {len(tracks)} face track(s) "
            f"({info.get('width')}x{info.get('height')}, {info.get('frame_count')} frames, "
            f"{info.get('duration_s', 0):.1f} s{speed})"
        )
        for track in tracks:
            shares = track.get("shares", {})
            dominant = track.get("dominant", "")
            self.stdout.write(
                f"  track {track['track_id']}: {EMOJI.get(dominant, '')} {dominant}  "
                f"{track.get('first_time_s', 0):.1f}-{track.get('last_time_s', 0):.1f} s, {track.get('frames')} frames"
            )
            self.stdout.write(
                "    " + "  ".join(f"{name} {100 * shares.get(name, 0.0):.1f}%" for name in EMOTIONS)
            )
        self.stdout.write(f"  annotated video: {report['annotated_video']}")
        self.stdout.write(f"  timeline: {report['timeline_csv']} (and {report['timeline_json']})")
