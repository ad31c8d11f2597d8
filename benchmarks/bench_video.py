"""End-to-end video speed and memory: decode, detect/track, classify, render, encode (every frame).

Makes its clips from ../shared/samples/single_face.mp4 with the ffmpeg CLI: the sample looped
to --clip-seconds at 640x360 30 fps, the same upscaled to 1280x720, and a vertical 720x1280
phone-style copy (frames stored sideways plus rotation metadata). Prints the median real-time
factor (processing seconds / video seconds, models already loaded) over --runs runs of each,
then the peak RSS of a fresh process analysing a 720p clip of --long-seconds, and of one a
quarter as long, to show that memory does not grow with length.

Targets (issue 4, 2 CPU cores): RTF <= 0.25 at 640x360, <= 0.5 at 1280x720; peak < 1.5 GB.

    nice .venv/bin/python benchmarks/bench_video.py [--runs 3] [--long-seconds 120] [--model PATH]

Without models/emotion_cnn.tflite (and no --model) it times bench_image.py's stand-in CNN.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SAMPLE = (REPO / ".." / "shared" / "samples" / "single_face.mp4").resolve()

from inference import DEFAULT_MODEL_PATH, EngineOptions, VideoLimits, VideoOptions, process_video  # noqa: E402

TARGETS = {"640x360": 0.25, "1280x720": 0.5, "720x1280 (rotated)": 0.5}
MEMORY_TARGET_MB = 1500


def ffmpeg(*args) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def make_clips(folder: Path, seconds: float) -> dict[str, Path]:
    loops = max(1, round(seconds / 2.4))  # the sample lasts 2.4 s
    clips = {name: folder / f"{name.split()[0]}.mp4" for name in TARGETS}
    x264 = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p")
    ffmpeg("-stream_loop", loops - 1, "-i", SAMPLE, *x264, "-c:a", "aac", clips["640x360"])
    ffmpeg("-i", clips["640x360"], "-vf", "scale=1280:720", *x264, "-c:a", "copy", clips["1280x720"])
    sideways = folder / "sideways.mp4"
    ffmpeg("-i", clips["1280x720"], "-vf", "crop=720:720:280:0,pad=720:1280:0:280,transpose=1", *x264,
           "-c:a", "copy", sideways)
    ffmpeg("-i", sideways, "-c", "copy", "-metadata:s:v:0", "rotate=90", clips["720x1280 (rotated)"])
    return clips


def analyse(clip: Path, out: Path, options: EngineOptions, progress=None,
            video_options: VideoOptions | None = None):
    return process_video(clip, annotated_path=out / "annotated.mp4", timeline_csv_path=out / "timeline.csv",
                         timeline_json_path=out / "timeline.json", options=options,
                         video_options=video_options or VideoOptions(), progress=progress)


def bench_speed(clips: dict[str, Path], options: EngineOptions, runs: int, out: Path) -> None:
    analyse(SAMPLE, out, options)  # warm-up: first calls into TensorFlow and x264 cost extra
    # CPU RTF: CPU seconds (all threads) per video second. On a machine shared with other
    # work the wall-clock RTF depends on the load; half the CPU RTF is what 2 idle cores allow.
    print(f"{'clip':<20} {'seconds':>7} {'frames':>6} {'RTF median':>10} {'target':>6}     {'CPU RTF':>7}  tracks  "
          "stage busy ms/frame (median; stages overlap in threads; render includes the BGR->I420 conversion)")
    for name, clip in clips.items():
        results, cpu_rtfs = [], []
        for _ in range(runs):
            cpu_before = _cpu_seconds()
            results.append(analyse(clip, out, options))
            cpu_rtfs.append((_cpu_seconds() - cpu_before) / results[-1].info.duration_s)
        rtf = statistics.median(r.realtime_factor for r in results)
        frames = results[0].frames
        stages = {stage: statistics.median(r.timings_s[stage] for r in results) * 1000 / frames
                  for stage in ("decode", "detect", "classify", "render", "encode")}
        tracks = ", ".join(f"#{t.track_id}:{t.frames}f" for t in results[0].tracks)
        verdict = "ok" if rtf <= TARGETS[name] else "MISSED"
        print(f"{name:<20} {results[0].info.duration_s:>7.1f} {frames:>6} {rtf:>10.3f} {TARGETS[name]:>6} {verdict}"
              f"  {statistics.median(cpu_rtfs):>7.3f}  {tracks}  "
              + " ".join(f"{stage} {ms:.1f}" for stage, ms in stages.items()), flush=True)


def bench_memory(clip_720: Path, seconds: float, model: Path, folder: Path) -> None:
    for length in (seconds / 4, seconds):
        long_clip = folder / f"long_{int(length)}s.mp4"
        ffmpeg("-stream_loop", -1, "-i", clip_720, "-t", f"{length:.1f}", "-c", "copy", long_clip)
        report = subprocess.run([sys.executable, __file__, "--measure-memory", str(long_clip), "--model", str(model)],
                                check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        figures = json.loads(report)
        verdict = "ok" if figures["peak_rss_mb"] < MEMORY_TARGET_MB else "MISSED"
        print(f"720p {length:>6.1f} s: peak RSS {figures['peak_rss_mb']:.0f} MB (target < {MEMORY_TARGET_MB}) "
              f"{verdict}; RSS at 25/50/75/100% of frames: {figures['rss_mb_by_quarter']} MB; "
              f"RTF {figures['realtime_factor']:.3f}", flush=True)


def measure_memory(clip: Path, model: Path) -> None:
    """Run in a fresh process so ru_maxrss covers this clip only; prints one JSON line."""
    samples: dict[int, float] = {}

    def progress(done: int, total: int, _fps: float) -> None:
        quarter = min(4, int(4 * done / max(total, 1)))
        samples.setdefault(quarter, _rss_mb())

    with tempfile.TemporaryDirectory() as out:
        # Stream-copied clips end on a keyframe, a little past the requested length; the
        # upload limit is not what this measures, so lift it above the clip.
        limits = VideoLimits(max_duration_s=VideoLimits().max_duration_s + 120)
        result = analyse(clip, Path(out), EngineOptions(model_path=model), progress,
                         VideoOptions(limits=limits))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mb": peak_mb, "realtime_factor": result.realtime_factor,
                      "rss_mb_by_quarter": [round(samples[q]) for q in sorted(samples) if q > 0]}))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clip-seconds", type=float, default=9.6, help="length of the speed clips")
    parser.add_argument("--long-seconds", type=float, default=120.0, help="length of the memory clip (600: 10 min)")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--measure-memory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = args.model or (DEFAULT_MODEL_PATH if DEFAULT_MODEL_PATH.is_file() else None)
        if model is None:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from bench_image import stand_in_model

            model = stand_in_model(folder)
            print("models/emotion_cnn.tflite not found: timing a stand-in CNN.")
        if args.measure_memory:
            measure_memory(args.measure_memory, model)
            return
        print(f"model {model}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at start")
        clips = make_clips(folder, args.clip_seconds)
        out = folder / "out"
        bench_speed(clips, EngineOptions(model_path=model), args.runs, out)
        if not args.skip_memory:
            bench_memory(clips["1280x720"], args.long_seconds, model, folder)
        print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
