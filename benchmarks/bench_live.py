"""Live camera over a real WebSocket on loopback: simulated cameras against a real Daphne.

Starts `daphne fer_platform.asgi:application` in a subprocess (embedded defaults, or
the Redis channel layer with --redis-url), then for 1, 4 and 8 concurrent clients
sends 640x480 JPEG frames of ../shared/samples/single_face.mp4 the way the page
does (one frame in flight, at most FER_LIVE_MAX_FPS) and prints per client:
results/s, round-trip median and p95, server processing median; the fairness ratio
(fastest client / slowest); and the server's memory. --soak-seconds runs four
clients that long and prints the server's RSS each minute (memory must stay flat).

Targets (issue 5, 2 CPU cores): one client >= 20 results/s, server processing
median < 40 ms, round trip p95 < 100 ms; no client starves (ratio <= 2).

    .venv/bin/python benchmarks/bench_live.py [--seconds 20] [--clients 1 4 8] [--soak-seconds 300] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SAMPLE = REPO.parent / "shared" / "samples" / "single_face.mp4"

from fer_platform import devservers  # noqa: E402


def camera_frames(count: int = 60) -> list[str]:
    import cv2

    capture = cv2.VideoCapture(str(SAMPLE))
    frames = []
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        jpeg = cv2.imencode(".jpg", cv2.resize(image, (640, 480)), [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
        frames.append(base64.b64encode(jpeg).decode())
    capture.release()
    return frames


async def camera(url: str, frames: list[str], seconds: float, start: asyncio.Event) -> dict:
    """One simulated page: next frame when the previous answer arrived, at most max_fps."""
    import websockets

    round_trips, server_ms, faces, errors = [], [], [], 0
    async with websockets.connect(url, origin=url.replace("ws://", "http://").rsplit("/ws/", 1)[0],
                                  max_size=None) as ws:
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready
        interval = 1.0 / ready["max_fps"]
        await start.wait()
        began = time.perf_counter()
        seq = 0
        while time.perf_counter() - began < seconds:
            sent = time.perf_counter()
            await ws.send(json.dumps({"type": "frame", "seq": seq, "t": sent * 1000, "image": frames[seq % len(frames)]}))
            reply = json.loads(await ws.recv())
            now = time.perf_counter()
            if reply["type"] == "result":
                round_trips.append((now - sent) * 1000)
                server_ms.append(reply["timings_ms"]["total"])
                faces.append(len(reply["faces"]))
            else:
                errors += 1
            seq += 1
            await asyncio.sleep(max(0.0, sent + interval - time.perf_counter()))
        elapsed = time.perf_counter() - began
    return {"results": len(round_trips), "results_per_s": len(round_trips) / elapsed,
            "round_trip_ms": round_trips, "server_ms": server_ms, "faces": faces, "errors": errors}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else float("nan")


async def run_clients(url: str, frames: list[str], clients: int, seconds: float) -> list[dict]:
    start = asyncio.Event()
    tasks = [asyncio.create_task(camera(url, frames, seconds, start)) for _ in range(clients)]
    await asyncio.sleep(1.0)  # every client connected and got "ready"
    start.set()
    return await asyncio.gather(*tasks)


def summarise(clients: list[dict], rss_mb: float) -> dict:
    rates = [c["results_per_s"] for c in clients]
    return {
        "clients": len(clients),
        "results_per_s_per_client": [round(r, 1) for r in rates],
        "round_trip_median_ms": round(statistics.median(x for c in clients for x in c["round_trip_ms"]), 1),
        "round_trip_p95_ms": round(percentile([x for c in clients for x in c["round_trip_ms"]], 0.95), 1),
        "server_processing_median_ms": round(statistics.median(x for c in clients for x in c["server_ms"]), 1),
        "fairness_ratio": round(max(rates) / max(min(rates), 1e-9), 2),
        "frames_with_one_face": round(sum(f == 1 for c in clients for f in c["faces"]) /
                                      max(1, sum(len(c["faces"]) for c in clients)), 3),
        "errors": sum(c["errors"] for c in clients),
        "server_rss_mb": round(rss_mb, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--soak-seconds", type=float, default=0.0, help="then four clients this long, RSS each minute")
    parser.add_argument("--redis-url", default=None, help="run the server on the Redis channel layer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    frames = camera_frames()
    report = {"cpu_cores": os.cpu_count(), "scenarios": [], "soak": None}
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    # the clients stand for different people, though they all connect from this machine
    env = devservers.server_env(folder, redis_url=args.redis_url,
                                FER_LIVE_MAX_CONNECTIONS_PER_ADDRESS=str(max([4, *args.clients])))
    with devservers.daphne(folder, env) as (base_url, server):
        url = base_url.replace("http://", "ws://") + "/ws/live/"
        rss_mb = partial(devservers.rss_mb, server.pid)
        asyncio.run(run_clients(url, frames, 1, 3.0))  # models load, threads start
        for count in args.clients:
            clients = asyncio.run(run_clients(url, frames, count, args.seconds))
            summary = summarise(clients, rss_mb())
            report["scenarios"].append(summary)
            if not args.json:
                print(f"{count} client(s): {summary['results_per_s_per_client']} results/s each; round trip median "
                      f"{summary['round_trip_median_ms']} ms, p95 {summary['round_trip_p95_ms']} ms; server "
                      f"{summary['server_processing_median_ms']} ms per frame; fairness {summary['fairness_ratio']}; "
                      f"errors {summary['errors']}; server RSS {summary['server_rss_mb']} MB", flush=True)
        if args.soak_seconds > 0:
            samples = []

            async def soak():
                task = asyncio.create_task(run_clients(url, frames, 4, args.soak_seconds))
                while not task.done():
                    samples.append(round(rss_mb(), 1))
                    if not args.json:
                        print(f"  soak t={60 * (len(samples) - 1):>4.0f} s: server RSS {samples[-1]} MB", flush=True)
                    await asyncio.wait({task}, timeout=60)
                return task.result()

            clients = asyncio.run(soak())
            samples.append(round(rss_mb(), 1))
            report["soak"] = {**summarise(clients, samples[-1]), "seconds": args.soak_seconds, "rss_mb_each_minute": samples}
            if not args.json:
                print(f"soak, 4 clients for {args.soak_seconds:.0f} s: RSS each minute {samples} MB; "
                      f"{report['soak']['results_per_s_per_client']} results/s each")
    if args.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
