"""WebSocket consumers: a job's progress, and the live camera.

They stay thin: the protocol rules are in live_protocol.py, the analysis in
studies.live (and inference.live), the writes in studies.services.
"""

import asyncio
import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings
from django.urls import reverse

from studies import live, selectors, services, viewer_access
from studies.errors import InvalidInput, ParticipationRefused
from studies.live_protocol import (FramePacer, LiveProtocolError, max_message_chars, parse_frame, parse_message,
                                   unknown_type_error)
from studies.models import AnalysisJob, job_progress_group_name
from studies.rate_limits import OpenConnections, scope_client_address
from studies.services import job_progress_message

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
CLOSE_LOGIN_REQUIRED = 4401
CLOSE_NOT_ALLOWED = 4403


def session_key(scope) -> str | None:
    """The anonymous visitor's Django session key: what their jobs are owned by."""
    session = scope.get("session")
    return session.session_key if session is not None else None


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/jobs/<uuid>/`: the current state on connect, then every `job.progress` event."""

    async def connect(self):
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        job = await self._viewable_job(job_id)
        if job is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group_name = job_progress_group_name(job.id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send_json(job_progress_message(job))

    async def disconnect(self, code):
        group_name = getattr(self, "group_name", None)
        if group_name:
            await self.channel_layer.group_discard(group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Clients only listen here, so what they send is ignored. The base class decoded it as JSON
        first, and a non-JSON or binary message ended the consumer with an exception."""

    async def job_progress(self, event):
        await self.send_json(event)  # services.job_progress_message made it as clients read it

    @database_sync_to_async
    def _viewable_job(self, job_id):
        try:
            return selectors.analysis_job_get_for_viewer(
                user=self.scope.get("user"), session_key=session_key(self.scope), job_id=job_id)
        except AnalysisJob.DoesNotExist:
            return None


class LiveAnalysisConsumer(AsyncWebsocketConsumer):
    """Frames in, faces out (see live_protocol.py for the messages).

    A frame is analysed in the live thread pool while this consumer goes on reading:
    a frame that arrives before the previous answer went out is refused as `busy`,
    one beyond the frame-rate limit as `rate_limited`; bad messages get an `error`
    reply and the connection stays open. Frames are never written anywhere.
    Subclasses add what to do with each result (`on_result`) and other message types.
    """

    async def connect(self):
        await self.accept()
        self.session = None
        self.in_flight = None
        self.pacer = FramePacer(settings.FER_LIVE_MAX_FPS)
        self.max_chars = max_message_chars(settings.FER_LIVE_MAX_FRAME_BYTES)
        refusal = await self.refusal()
        if refusal is not None:
            code, message, close_code = refusal
            await self.send_message({"type": "error", "code": code, "message": message})
            await self.close(code=close_code)
            return
        self.session = await live.in_pool(live.new_session)
        await self.send_message({
            "type": "ready",
            "model": self.session.engine.classifier.name,
            "detector": self.session.options.detector,
            "max_fps": settings.FER_LIVE_MAX_FPS,
            "max_frame_bytes": settings.FER_LIVE_MAX_FRAME_BYTES,
        })

    async def refusal(self):
        """(code, message, close code) when this connection may not be served; None when it may."""
        user = self.scope.get("user")
        if settings.FER_LIVE_REQUIRE_LOGIN and not (user and user.is_authenticated):
            return "login_required", "Log in to use the live camera analysis.", CLOSE_LOGIN_REQUIRED
        return None

    async def disconnect(self, code):
        await self.frame_in_flight_done()

    async def frame_in_flight_done(self):
        """Wait until the frame being analysed, if any, has had its answer (and its on_result)."""
        if self.in_flight is not None:
            await asyncio.gather(self.in_flight, return_exceptions=True)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = parse_message(text_data, max_chars=self.max_chars)
            if message["type"] == "frame":
                await self.receive_frame(message)
            else:
                await self.receive_other(message)
        except LiveProtocolError as error:
            await self.send_message(error.to_message())
        except Exception:
            # An exception let out would end the consumer without its disconnect(): a recording
            # left running, a viewer's pending samples lost. The connection goes on instead.
            logger.exception("A live message could not be handled")
            await self.send_message(LiveProtocolError("internal", "The message could not be handled.").to_message())

    async def receive_other(self, message: dict):
        raise unknown_type_error(message["type"])

    def check_frame(self, frame) -> None:
        """Raise LiveProtocolError for a frame this page may not send (parse_frame checked its form)."""

    async def receive_frame(self, message: dict):
        seq = message.get("seq") if isinstance(message.get("seq"), int) else None
        if self.session is None:
            raise LiveProtocolError("not_ready", "Wait for the \"ready\" message before sending frames.", seq=seq)
        if self.in_flight is not None and not self.in_flight.done():
            raise LiveProtocolError("busy", "Send the next frame after the previous answer.", seq=seq)
        wait_ms = self.pacer.take()
        if wait_ms is not None:
            raise LiveProtocolError("rate_limited", f"At most {settings.FER_LIVE_MAX_FPS} frames per second.",
                                    seq=seq, retry_after_ms=wait_ms)
        frame = parse_frame(message, max_frame_bytes=settings.FER_LIVE_MAX_FRAME_BYTES)
        self.check_frame(frame)
        self.in_flight = asyncio.ensure_future(self.analyse(frame, received=time.perf_counter()))

    async def analyse(self, frame, *, received: float):
        from inference.errors import InferenceError

        time_s = frame.t_ms / 1000.0 if frame.t_ms is not None else time.monotonic()
        started = []

        def run():
            started.append(time.perf_counter())
            return self.session.analyze(frame.image, time_s)

        try:
            result = await live.in_pool(run)
        except InferenceError as error:
            await self.send_message(LiveProtocolError("not_an_image", str(error), seq=frame.seq).to_message())
            return
        except Exception:
            logger.exception("Live analysis failed")
            await self.send_message(LiveProtocolError("internal", "The frame could not be analysed.",
                                                      seq=frame.seq).to_message())
            return
        try:
            await self.on_result(result, frame)
        except Exception:  # every frame is answered, and the next one goes ahead
            logger.exception("A live result could not be kept")
            await self.send_message(LiveProtocolError("internal", "The frame's result could not be kept.",
                                                      seq=frame.seq).to_message())
            return
        queue_ms = (started[0] - received) * 1000 if started else 0.0
        await self.send_message({
            "type": "result", "seq": frame.seq, "t": frame.t_ms, "width": result.width, "height": result.height,
            "faces": [face_json(face) for face in result.faces], "timings_ms": result.timings_ms,
            "queue_ms": round(queue_ms, 2), "server_ms": round((time.perf_counter() - received) * 1000, 2),
        })

    async def on_result(self, result, frame):
        """Called with each analysed frame (an inference.live.LiveFrame) before the reply goes out."""

    async def send_message(self, message: dict):
        await self.send(text_data=json.dumps(message))


def face_json(face) -> dict:
    from inference.labels import EMOJI

    return {**face.to_dict(), "emoji": EMOJI[face.label]}


# /ws/live/ connections per client address in this process (FER_LIVE_MAX_CONNECTIONS_PER_ADDRESS)
LIVE_CONNECTIONS = OpenConnections()
CLOSE_TOO_MANY = 4429


class LiveCameraConsumer(LiveAnalysisConsumer):
    """`/ws/live/`: the live camera page; can record the emotion scores as an analysis job."""

    recording = None
    counted_address = None

    async def connect(self):
        try:
            await super().connect()
        except BaseException:  # models that failed to load, say: the slot taken in refusal() goes back
            self.release_slot()
            raise

    async def refusal(self):
        """As the base class's, and takes one of the client address's connection slots."""
        refusal = await super().refusal()
        if refusal is not None:
            return refusal
        address = scope_client_address(self.scope)
        if not address:  # a unix socket, say: no address to count by, and every client would share ""
            return None
        if not LIVE_CONNECTIONS.open(address, settings.FER_LIVE_MAX_CONNECTIONS_PER_ADDRESS):
            return ("too_many_connections", f"At most {settings.FER_LIVE_MAX_CONNECTIONS_PER_ADDRESS} live camera "
                    "connections at once from one address: close another tab using the camera.", CLOSE_TOO_MANY)
        self.counted_address = address
        return None

    def release_slot(self):
        if self.counted_address is not None:
            LIVE_CONNECTIONS.close(self.counted_address)
            self.counted_address = None

    async def receive_other(self, message: dict):
        if message["type"] != "record" or message.get("action") not in ("start", "stop"):
            await super().receive_other(message)
            return
        if message["action"] == "start":
            await self.start_recording()
        else:
            await self.stop_recording()

    async def start_recording(self):
        if self.recording is not None:
            raise LiveProtocolError("bad_message", "Already recording.")
        self.recording = await database_sync_to_async(services.live_recording_start)(
            owner=self.scope.get("user"), session_key=session_key(self.scope))
        await self.send_message({"type": "recording", "state": "started", "job_id": str(self.recording.job_id),
                                 "max_seconds": settings.FER_LIVE_MAX_RECORDING_SECONDS})

    async def stop_recording(self):
        recording, self.recording = self.recording, None
        if recording is None:
            raise LiveProtocolError("bad_message", "Not recording.")
        await self.frame_in_flight_done()  # its frame belongs in the recording
        await self.save_recording(recording, reason="stopped")

    async def save_recording(self, recording, *, reason: str):
        job = await database_sync_to_async(services.live_recording_finish)(recording)
        reply = {"type": "recording", "state": "saved" if job else "discarded", "reason": reason}
        if job is not None:
            reply.update(job_id=str(job.id), url=reverse("studies:job_detail", args=[job.id]),
                         frames=recording.frames, seconds=round(recording.duration_s, 1))
        await self.send_message(reply)

    async def on_result(self, result, frame):
        recording = self.recording
        if recording is None:
            return
        recording.add(result)
        if recording.heartbeat_due():
            await database_sync_to_async(services.live_recording_heartbeat)(recording)
        if recording.is_full:
            self.recording = None
            await self.save_recording(recording, reason="time limit")

    async def disconnect(self, code):
        self.release_slot()
        await super().disconnect(code)
        recording, self.recording = self.recording, None
        if recording is not None:
            # the page was closed or lost its connection: keep what was recorded
            await self.save_recording(recording, reason="disconnected")


class ViewerCaptureConsumer(LiveAnalysisConsumer):
    """`/ws/viewer/<session id>/`: a consenting viewer's webcam while the ad plays.

    Frames stamped with `ad_ms` become EmotionSamples of the viewer's session (the
    largest face is the viewer); frames without it, on the camera check page, are
    analysed and answered but stored nowhere. Samples are written about once a
    second, and whatever is pending when the page finishes or leaves.
    """

    FLUSH_EVERY_S = 1.0

    async def refusal(self):
        self.viewer_session = await database_sync_to_async(self._consenting_session)()
        if self.viewer_session is None:
            return ("not_allowed", "This page may not capture: open the study from your invitation link and "
                                   "give your consent first.", CLOSE_NOT_ALLOWED)
        self.pending, self.last_flush = [], time.monotonic()
        self.latest_ms = services.latest_sample_ms(self.viewer_session.campaign)
        return None

    def _consenting_session(self):
        session_id = str(self.scope["url_route"]["kwargs"]["session_id"])
        if not viewer_access.is_allowed(self.scope.get("session"), session_id):
            return None
        viewer_session = selectors.viewer_session_for_capture(session_id)
        return viewer_session if viewer_session is not None and viewer_session.is_capturing else None

    def check_frame(self, frame) -> None:
        # Refused here, the one frame: in the samples it would have made the whole second's batch refused.
        if frame.ad_ms is not None and frame.ad_ms > self.latest_ms:
            raise LiveProtocolError("bad_message", f'"ad_ms" is past the end of the ad '
                                                   f'({self.latest_ms:,} ms at most).', seq=frame.seq)

    async def on_result(self, result, frame):
        if frame.ad_ms is None:
            return
        self.pending.append(services.Sample.from_faces(frame.ad_ms, result.faces))
        if time.monotonic() - self.last_flush >= self.FLUSH_EVERY_S:
            await self.flush()

    async def flush(self):
        samples, self.pending = getattr(self, "pending", []), []
        self.last_flush = time.monotonic()
        if not samples:
            return
        try:
            await database_sync_to_async(services.viewer_samples_add)(self.viewer_session, samples)
        except ParticipationRefused as error:
            await self.send_message({"type": "error", "code": "not_allowed", "message": error.message})
        except InvalidInput as error:
            await self.send_message({"type": "error", "code": "bad_message", "message": error.message})

    async def receive_other(self, message: dict):
        if message["type"] != "finish":
            await super().receive_other(message)
            return
        await self.frame_in_flight_done()  # its frame belongs in the samples
        await self.flush()
        try:
            await database_sync_to_async(services.viewer_session_finish)(self.viewer_session)
        except ParticipationRefused as error:  # erased by the producer while the ad played
            await self.send_message({"type": "error", "code": "not_allowed", "message": error.message})
            return
        await self.send_message({"type": "finished",
                                 "url": reverse("studies:viewer_thanks", args=[self.viewer_session.id])})

    async def disconnect(self, code):
        await super().disconnect(code)
        if getattr(self, "viewer_session", None) is not None:
            await self.flush()
