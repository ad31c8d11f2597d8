"""A demo campaign with synthetic viewers, so a newcomer sees a full report at once.

`python manage.py ensure_demo_campaign` (run by scripts/run.sh) makes it for the
demo producer: a generated 30-second "ad" (title cards, no real footage), four
segments, an open invitation, and 24 synthetic viewers whose emotion curves
follow the story, with noise, looking away, a few who left early and one who
withdrew. Everything is marked as demo data (Campaign.is_demo, ViewerSession.is_demo).
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inference.labels import EMOTIONS
from studies import services
from studies.models import Campaign, ViewerSession
from studies.services.viewing import MAX_SAMPLES_PER_BATCH

logger = logging.getLogger(__name__)

DEMO_NAME = "Demo: Fizzy Lemon, 30 s spot"
DURATION_S = 30.0
FPS = 25
SIZE = (640, 360)
SCENES = [  # (start s, title, background BGR)
    (0.0, "Morning. Alarm rings.", (90, 60, 40)),
    (2.0, "Coffee goes everywhere!", (40, 70, 160)),
    (8.0, "", (60, 60, 60)),
    (9.0, "The cat: 'Try a Fizzy Lemon.'", (50, 130, 70)),
    (16.0, "", (60, 60, 60)),
    (17.0, "FIZZY LEMON. New.", (20, 170, 220)),
    (23.0, "", (60, 60, 60)),
    (24.0, "In stores now. fizzylemon.example", (120, 60, 110)),
]
SEGMENTS = [
    {"name": "Hook: the spilled coffee", "start_s": 2.0, "end_s": 7.0, "expected_emotions": ["surprise"],
     "notes": "should startle and amuse"},
    {"name": "Joke: the talking cat", "start_s": 9.0, "end_s": 15.0, "expected_emotions": ["happy"]},
    {"name": "Product reveal", "start_s": 17.0, "end_s": 22.0, "expected_emotions": ["happy", "surprise"]},
    {"name": "Call to action", "start_s": 24.0, "end_s": 30.0, "expected_emotions": ["happy"]},
]
VIEWERS = 24
SAMPLES_PER_S = 10


def make_demo_ad(path: Path) -> Path:
    """Title cards with a moving ball, H.264 MP4: enough of an ad to play and to scrub."""
    import av
    import cv2

    width, height = SIZE
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, FPS)
        for index in range(int(DURATION_S * FPS)):
            t = index / FPS
            start, title, colour = max((scene for scene in SCENES if scene[0] <= t), key=lambda scene: scene[0])
            frame = np.full((height, width, 3), colour, np.uint8)
            x = int((t * 90) % (width + 80)) - 40
            cv2.circle(frame, (x, int(height * 0.78)), 22, (240, 240, 240), -1)
            if title:
                cv2.putText(frame, title, (30, height // 2), cv2.FONT_HERSHEY_DUPLEX, 0.95, (255, 255, 255), 2,
                            cv2.LINE_AA)
            cv2.putText(frame, f"{t:4.1f} s", (width - 110, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (230, 230, 230), 1,
                        cv2.LINE_AA)
            video_frame = av.VideoFrame.from_ndarray(frame, format="bgr24")
            video_frame.pts = index
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _bump(t: np.ndarray, start: float, end: float, rise: float = 0.8) -> np.ndarray:
    """0 outside [start, end], ramping up over `rise` seconds and down again."""
    up = np.clip((t - start) / rise, 0, 1)
    down = np.clip((end - t) / rise, 0, 1)
    return np.minimum(up, down)


def synthetic_probabilities(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """One viewer's (N, 7) probabilities over the ad: the story's reactions, scaled by how
    expressive this viewer is, plus noise; the rest of the probability is neutral."""
    expressive = rng.uniform(0.5, 1.3)
    scores = np.zeros((len(t), len(EMOTIONS)))
    column = {name: i for i, name in enumerate(EMOTIONS)}
    scores[:, column["happy"]] = 0.10 + expressive * (0.25 * _bump(t, 2.5, 7.0) + 0.55 * _bump(t, 10.0, 15.5)
                                                       + 0.08 * _bump(t, 17.0, 22.0) + 0.04 * _bump(t, 24.0, 30.0))
    scores[:, column["surprise"]] = 0.05 + expressive * (0.45 * _bump(t, 2.0, 5.0, rise=0.3)
                                                         + 0.05 * _bump(t, 17.0, 19.0))
    scores[:, column["sad"]] = 0.06 + 0.04 * _bump(t, 24.0, 30.0)
    scores[:, column["angry"]] = 0.03
    scores[:, column["disgust"]] = 0.01
    scores[:, column["fear"]] = 0.03 + 0.03 * _bump(t, 2.0, 4.0, rise=0.3)
    scores *= np.exp(rng.normal(0, 0.25, scores.shape))  # frame-to-frame noise
    scores[:, column["neutral"]] = 0.0
    scores[:, column["neutral"]] = np.clip(1.0 - scores.sum(axis=1), 0.05, None)
    return scores / scores.sum(axis=1, keepdims=True)


def _viewer_samples(rng: np.random.Generator, until_s: float) -> list:
    t = np.arange(0, until_s, 1 / SAMPLES_PER_S)
    probabilities = synthetic_probabilities(rng, t)
    face = np.ones(len(t), bool)
    for _ in range(rng.integers(0, 3)):  # looking away now and then
        start = rng.uniform(0, max(until_s - 2, 0.1))
        face[(t >= start) & (t < start + rng.uniform(0.5, 2.0))] = False
    return [services.Sample(t_ms=int(round(ms)), face=bool(seen), detection=float(rng.uniform(0.85, 0.99)) if seen else 0.0,
                            probabilities=tuple(float(p) for p in row) if seen else ())
            for ms, seen, row in zip(t * 1000, face, probabilities)]


def create_demo_campaign(owner, *, seed: int = 7) -> Campaign:
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as folder:
        ad = make_demo_ad(Path(folder) / "fizzy-lemon.mp4")
        upload = SimpleUploadedFile("fizzy-lemon-30s.mp4", ad.read_bytes(), content_type="video/mp4")
        campaign = services.campaign_create(
            owner=owner, ad_video=upload, name=DEMO_NAME, brand="Fizzy Lemon (demo)", status="collecting",
            description="Synthetic viewers, made to show what a report looks like. Invite yourself with the link below.")
    Campaign.objects.filter(pk=campaign.pk).update(is_demo=True)
    campaign.refresh_from_db()
    for segment in SEGMENTS:
        services.segment_create(campaign, **segment)
    invitation = services.invitation_create(campaign, label="Demo link")
    now = timezone.now()
    for number in range(VIEWERS):
        session = services.viewer_session_start(
            invitation_token=invitation.token, user_agent="synthetic demo viewer",
            consent=services.Consent(analyse_webcam=True, age_band=str(rng.choice(ViewerSession.AgeBand.values[1:])),
                                     gender=str(rng.choice(ViewerSession.Gender.values[:3]))))
        left_early = number in (5, 17)
        samples = _viewer_samples(rng, DURATION_S * (rng.uniform(0.4, 0.7) if left_early else 1.0))
        for start in range(0, len(samples), MAX_SAMPLES_PER_BATCH):
            services.viewer_samples_add(session, samples[start:start + MAX_SAMPLES_PER_BATCH])
        if number == 11:
            services.viewer_session_withdraw(session)
        elif left_early:
            services.viewer_sessions_mark_abandoned(now=now + timedelta(days=1))
        else:
            services.viewer_session_finish(session)
        started_at = now - timedelta(hours=int(rng.integers(1, 72)))
        ViewerSession.objects.filter(pk=session.pk).update(is_demo=True, started_at=started_at, consented_at=started_at)
    logger.info("Demo campaign %s created with %d synthetic viewers.", campaign.id, VIEWERS)
    return campaign


def ensure_demo_campaign(owner, *, reset: bool = False) -> Campaign:
    existing = Campaign.objects.filter(owner=owner, is_demo=True).first()
    if existing is not None and not reset:
        return existing
    if existing is not None:
        services.campaign_delete(existing)
    return create_demo_campaign(owner)
