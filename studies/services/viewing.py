"""Writes for viewers and their data: consent, samples, finishing, withdrawal, erasure, retention.

A viewer joins through an invitation by giving consent; samples are accepted
only while the session is open and webcam analysis was agreed, and each moment
of the ad only once (the ad plays once: a replayed moment is skipped). Withdrawal
deletes every sample (and a recording, if one was kept) but keeps the consent
record; a producer's erasure deletes the session altogether.
"""

import bisect
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from inference.labels import EMOTIONS
from studies import media_checks, reports, signals
from studies.selectors import campaigns as selectors
from studies.rate_limits import RateLimit
from studies.selectors.accounts import account_is_shared
from studies.services.recordings import viewer_recording_finalize_on_commit
from studies.consent import CONSENT_VERSION
from studies.errors import InvalidInput, ParticipationRefused, RecordingGap, TooManyAttempts
from studies.models import (PER_MILLE, Campaign, EmotionSample, Invitation, RecordingPart, SampleBatch,
                            ViewerSession)

logger = logging.getLogger(__name__)

MAX_SAMPLES_PER_BATCH = 1000
# Samples may be stamped a little after the ad's end (the last frame's answer arrives late).
LATE_SAMPLE_MS = 5000
# A session silent this long was left (closed tab, lost connection).
ABANDONED_AFTER = timedelta(minutes=30)
# A moment with stored samples this close on both sides was already watched. Pages send 10 samples
# a second; one rollup bin is wide enough for that and narrower than the 1 s batches a page sends,
# so a late batch between two stored ones is not mistaken for a replay.
REPLAY_WINDOW_MS = reports.ROLLUP_BIN_MS
# Each return to the watch page after leaving it starts a part; more would be a page gone wrong.
MAX_RECORDING_PARTS = 20
COPY_BLOCK_BYTES = 1024 * 1024
# A viewer's recording holds at most the ad's length plus this, at this many bytes a second (browsers
# record a webcam at 1-3 Mbit/s; 8 Mbit/s leaves room for any of them).
RECORDING_SPARE_S = 120
RECORDING_BYTES_PER_S = 1_000_000
RECORDING_NOT_OFFERED_MESSAGE = ("This demo study keeps no webcam recordings: its account is shared, so anyone "
                                 "could watch them. Untick the recording box to take part.")
# Viewers joining one study from one address within an hour: a room of people sharing a network
# (a viewing lab, an office) fits; a script inventing viewers through the API does not.
JOINS_PER_ADDRESS = RateLimit("viewer-join", limit=60, window_s=3600)
SESSION_ERASED_MESSAGE = "This session's data was deleted; nothing more is recorded."
# Webcam analysis is biometric data: a minor takes part only with a parent's or guardian's agreement.
GUARDIAN_NEEDED_MESSAGE = ("Viewers under 18 take part only if a parent or guardian agrees too: ask them to tick "
                           "the box, or leave the study.")


@dataclass(frozen=True)
class Consent:
    analyse_webcam: bool
    keep_recording: bool = False
    age_band: str = ""
    gender: str = ""
    guardian_agrees: bool = False  # needed from a viewer who says they are under 18


@dataclass(frozen=True)
class Sample:
    t_ms: int
    face: bool
    probabilities: tuple[float, ...] = ()  # EMOTIONS order; empty without a face
    detection: float = 0.0

    @classmethod
    def from_faces(cls, t_ms: int, faces) -> "Sample":
        """A webcam frame's sample: the viewer is the largest face in their own webcam (anyone behind
        them is smaller); no face gives a face-less sample."""
        if not faces:
            return cls(t_ms=t_ms, face=False)
        viewer = max(faces, key=lambda face: face.box[2] * face.box[3])
        return cls(t_ms=t_ms, face=True, detection=min(1.0, max(0.0, viewer.detection_score)),
                   probabilities=tuple(viewer.probabilities[name] for name in EMOTIONS))

    @classmethod
    def from_named_probabilities(cls, t_ms: int, *, face: bool, detection: float = 0.0,
                                 probabilities: dict | None = None, number: int = 0) -> "Sample":
        """A sample an API client sent, its probabilities by emotion name (missing ones 0); `number`
        is its place in the request, for the error message."""
        probabilities = probabilities or {}
        unknown = set(probabilities) - set(EMOTIONS)
        if unknown:
            raise InvalidInput(f"Sample {number}: unknown emotion(s) {', '.join(sorted(unknown))}.", "samples")
        return cls(t_ms=t_ms, face=face, detection=detection,
                   probabilities=tuple(probabilities.get(name, 0.0) for name in EMOTIONS) if face else ())


def viewer_session_start(*, invitation_token: str, consent: Consent, user_agent: str = "",
                         client_address: str = "") -> ViewerSession:
    """Record the consent and open a session; raises ParticipationRefused with a message for the viewer.

    `client_address` counts joins (JOINS_PER_ADDRESS): one link cannot be used to pour invented
    viewers into a study."""
    if not consent.analyse_webcam:
        raise ParticipationRefused("Taking part means letting this page analyse your webcam while the ad plays; "
                                   "without that, nothing is recorded and you are free to leave.")
    if consent.age_band and consent.age_band not in ViewerSession.AgeBand.values:
        raise InvalidInput("Unknown age band.", "age_band")
    if consent.age_band == ViewerSession.AgeBand.UNDER_18 and not consent.guardian_agrees:
        raise InvalidInput(GUARDIAN_NEEDED_MESSAGE, "guardian_agrees")
    if consent.gender and consent.gender not in ViewerSession.Gender.values:
        raise InvalidInput("Unknown answer for gender.", "gender")
    with transaction.atomic():
        # the lock makes the viewer limit hold when many people open the link at once
        invitation = Invitation.objects.select_for_update().select_related("campaign").filter(
            token=invitation_token).first()
        invitation_check(invitation)
        if consent.keep_recording and not recording_offered(invitation.campaign):
            raise InvalidInput(RECORDING_NOT_OFFERED_MESSAGE, "keep_recording")
        if client_address and JOINS_PER_ADDRESS.exceeded(str(invitation.campaign_id), client_address):
            raise TooManyAttempts("Too many viewers joined this study from your network address in the last "
                                  "hour. Please try again later.", retry_after_s=JOINS_PER_ADDRESS.window_s)
        session = ViewerSession.objects.create(
            campaign=invitation.campaign, invitation=invitation, consent_version=CONSENT_VERSION,
            consented_at=timezone.now(), consent_analyse_webcam=True, consent_keep_recording=consent.keep_recording,
            consent_guardian=consent.age_band == ViewerSession.AgeBand.UNDER_18 and consent.guardian_agrees,
            self_report_age=consent.age_band, self_report_gender=consent.gender, user_agent=(user_agent or "")[:400],
        )
    if client_address:  # none from the project's own code (the demo study's synthetic viewers)
        JOINS_PER_ADDRESS.record(str(invitation.campaign_id), client_address)
    logger.info("Viewer session %s joined campaign %s.", session.id, invitation.campaign_id)
    return session


def recording_offered(campaign: Campaign) -> bool:
    """Whether viewers may agree to a webcam recording: not in a study of an account whose password
    is public (the demo one), where everyone who signs in could watch it."""
    return not account_is_shared(campaign.owner)


def invitation_check(invitation: Invitation | None) -> None:
    """Raise ParticipationRefused unless the invitation admits a new viewer now."""
    if invitation is None:
        raise ParticipationRefused("This invitation link is not valid. Please check the link you were sent.")
    if invitation.is_revoked:
        raise ParticipationRefused("This invitation has been withdrawn by the study's organiser.")
    if invitation.is_expired:
        raise ParticipationRefused("This invitation has expired. Thank you for your interest.")
    if invitation.campaign.status != Campaign.Status.COLLECTING:
        raise ParticipationRefused("This study is not collecting responses at the moment.")
    if invitation.max_viewers is not None:
        taken = invitation.viewer_sessions.exclude(status=ViewerSession.Status.WITHDRAWN).count()
        if taken >= invitation.max_viewers:
            raise ParticipationRefused("This study already has all the viewers it needs. Thank you!")


def _check_capturing(session: ViewerSession) -> None:
    if session.status == ViewerSession.Status.WITHDRAWN:
        raise ParticipationRefused("This session was withdrawn; nothing more is recorded.")
    if not session.consent_analyse_webcam:
        raise ParticipationRefused("No consent to webcam analysis was given for this session.")
    if session.status != ViewerSession.Status.IN_PROGRESS:
        raise ParticipationRefused("This session is finished; nothing more is recorded.")


def latest_sample_ms(campaign) -> int:
    """The latest time in the ad (ms) a sample or recording may be stamped with."""
    return int(campaign.ad_duration_s * 1000) + LATE_SAMPLE_MS


def _validated(session: ViewerSession, samples: list[Sample]) -> list[EmotionSample]:
    if len(samples) > MAX_SAMPLES_PER_BATCH:
        raise InvalidInput(f"At most {MAX_SAMPLES_PER_BATCH} samples per request.", "samples")
    latest_ms = latest_sample_ms(session.campaign)
    rows = []
    for number, sample in enumerate(samples):
        if not isinstance(sample.t_ms, int) or isinstance(sample.t_ms, bool) or not 0 <= sample.t_ms <= latest_ms:
            raise InvalidInput(f"Sample {number}: t_ms must be a time in the ad, 0 to {latest_ms} ms.", "samples")
        if not 0.0 <= float(sample.detection) <= 1.0:
            raise InvalidInput(f"Sample {number}: detection must be between 0 and 1.", "samples")
        values = [0.0] * len(EMOTIONS)
        if sample.face:
            values = [float(v) for v in sample.probabilities]
            if len(values) != len(EMOTIONS) or not all(0.0 <= v <= 1.0 for v in values) \
                    or abs(sum(values) - 1.0) > 0.05:
                raise InvalidInput(f"Sample {number}: a face needs 7 probabilities ({', '.join(EMOTIONS)}) "
                                   "between 0 and 1 that add up to 1.", "samples")
        rows.append(EmotionSample(
            session=session, t_ms=sample.t_ms, face=bool(sample.face),
            detection=round(float(sample.detection) * PER_MILLE) if sample.face else 0,
            **{name: round(v * PER_MILLE) for name, v in zip(EMOTIONS, values)}))
    return rows


def viewer_samples_add(session: ViewerSession, samples: list[Sample], *, batch_id=None) -> int:
    """Store the samples; returns how many were stored.

    The ad plays once per session: a sample inside a stretch of the ad already stored, or
    at an ad time repeated in the batch, is a moment this viewer has already reacted to
    (they left the watch page and came back, and it played that moment again) and is
    skipped, not refused, so a replay never counts the opening seconds twice. Batches may
    arrive in any order (parallel posts, a reconnecting page's last second arriving late).
    With a `batch_id`, a batch posted again (a client retrying after a lost answer)
    is recognised and stored only once: the count of the first delivery comes back.
    """
    rows = _validated(session, samples)
    with transaction.atomic():
        locked = ViewerSession.objects.select_for_update().filter(pk=session.pk).first()
        if locked is None:  # the producer erased it while the viewer was watching
            raise ParticipationRefused(SESSION_ERASED_MESSAGE)
        if batch_id is not None:
            earlier = SampleBatch.objects.filter(session=locked, batch_id=batch_id).first()
            if earlier is not None:
                return earlier.count
        _check_capturing(locked)
        # read under the session's lock, so two deliveries at once cannot both store the same moment
        if rows:
            times = [row.t_ms for row in rows]
            stored = selectors.viewer_session_sample_times(
                locked, min(times) - REPLAY_WINDOW_MS, max(times) + REPLAY_WINDOW_MS)
            rows = _not_yet_recorded(rows, stored)
        EmotionSample.objects.bulk_create(rows, batch_size=500)
        faces = [row for row in rows if row.face]
        detection_sum = (locked.mean_detection_confidence or 0.0) * locked.face_sample_count
        detection_sum += sum(row.detection for row in faces) / PER_MILLE
        locked.sample_count += len(rows)
        locked.face_sample_count += len(faces)
        locked.face_visible_share = locked.face_sample_count / locked.sample_count if locked.sample_count else None
        locked.mean_detection_confidence = (detection_sum / locked.face_sample_count
                                            if locked.face_sample_count else None)
        locked.last_seen_at = timezone.now()
        locked.rollup = None
        locked.save(update_fields=["sample_count", "face_sample_count", "face_visible_share",
                                   "mean_detection_confidence", "last_seen_at", "rollup"])
        if batch_id is not None:
            try:
                with transaction.atomic():
                    SampleBatch.objects.create(session=locked, batch_id=batch_id, count=len(rows))
            except IntegrityError:
                raise InvalidInput("This batch id was used at the same time by another request.", "batch_id")
    return len(rows)


def _not_yet_recorded(rows: list[EmotionSample], stored_times: list[int]) -> list[EmotionSample]:
    """The rows for moments not seen yet, each ad time once (the first one sent).

    A moment was seen if stored samples lie within REPLAY_WINDOW_MS on both sides of it: it
    falls inside a stretch already watched. A batch that arrives late fills a gap next to
    stored stretches, not inside one, so it is kept. Within a batch only exact repeats are
    dropped: an API client may send its samples in any order.
    """
    fresh, times = [], set()
    for row in rows:
        if row.t_ms in times or _inside_a_watched_stretch(row.t_ms, stored_times):
            continue
        times.add(row.t_ms)
        fresh.append(row)
    return fresh


def _inside_a_watched_stretch(t_ms: int, stored_times: list[int]) -> bool:
    """`stored_times` sorted; True if one lies in [t - window, t] and one in [t, t + window]."""
    after = bisect.bisect_left(stored_times, t_ms)
    if after < len(stored_times) and stored_times[after] == t_ms:
        return True
    before = after - 1
    return (before >= 0 and t_ms - stored_times[before] <= REPLAY_WINDOW_MS
            and after < len(stored_times) and stored_times[after] - t_ms <= REPLAY_WINDOW_MS)


def viewer_session_finish(session: ViewerSession) -> ViewerSession:
    """The ad played to its end: the session is complete and its rollup computed. Idempotent."""
    _close_if_open(session.pk, ViewerSession.Status.COMPLETED)
    try:
        session.refresh_from_db()
    except ViewerSession.DoesNotExist:
        raise ParticipationRefused(SESSION_ERASED_MESSAGE) from None
    return session


def _close_if_open(session_id, status: str) -> bool:
    """Close an in-progress session (its rollup computed from every sample); the row is locked so a
    withdrawal or another close at the same moment is never overwritten."""
    with transaction.atomic():
        session = ViewerSession.objects.select_for_update().select_related("campaign").filter(pk=session_id).first()
        if session is None or session.status != ViewerSession.Status.IN_PROGRESS:  # None: erased meanwhile
            return False
        session.status = status
        session.finished_at = timezone.now()
        session.rollup = None  # recomputed from every stored sample
        session.rollup = reports.rollup_to_bytes(selectors.session_rollup(session))
        session.save(update_fields=["status", "finished_at", "rollup"])
        if session.recording_parts.exists():
            viewer_recording_finalize_on_commit(session.pk)
    logger.info("Viewer session %s %s with %d samples.", session.id, status, session.sample_count)
    return True


# What a viewer told or their browser sent about them: it goes with their answers.
PERSONAL_FIELDS = ("self_report_age", "self_report_gender", "user_agent")


def _delete_personal_data(session: ViewerSession) -> None:
    """Delete the session's samples, batch records and recording parts, and its folder of recordings
    when the transaction commits; blank its PERSONAL_FIELDS and forget its rollup. What stays is the
    consent record: who invited, which wording was agreed to, when. The caller saves."""
    EmotionSample.objects.filter(session=session).delete()
    SampleBatch.objects.filter(session=session).delete()
    RecordingPart.objects.filter(session=session).delete()
    signals.delete_viewer_folder_on_commit(session)
    session.rollup = None
    for field in PERSONAL_FIELDS:
        setattr(session, field, "")


def _leave_shared_figures(session: ViewerSession) -> None:
    """A viewer whose data goes leaves the campaign's shared report too: its frozen averages still
    hold them, so they come down (the link then says so) until the producer can update them
    (campaign_share_update: once SHARE_MIN_VIEWERS came or went, this one included, so the next
    version cannot be subtracted from this one to recover that viewer's answers). Runs in the
    transaction that deletes the data."""
    campaign = Campaign.objects.select_for_update().only("share_snapshot").get(pk=session.campaign_id)
    snapshot = campaign.share_snapshot
    if not snapshot or snapshot["figures"] is None or str(session.pk) not in snapshot["sessions"]:
        return
    snapshot["figures"] = None  # the frozen ids stay: the next update counts against them
    campaign.save(update_fields=["share_snapshot"])
    logger.info("Campaign %s: shared figures taken down, viewer session %s left them.", campaign.pk, session.pk)


def viewer_session_withdraw(session: ViewerSession) -> ViewerSession:
    """The viewer changed their mind: every sample and any recording go; the consent record stays.
    A session the producer erased meanwhile has nothing left to delete."""
    with transaction.atomic():
        locked = ViewerSession.objects.select_for_update().filter(pk=session.pk).first()
        if locked is None:
            logger.info("Viewer session %s was erased before it was withdrawn.", session.pk)
            return session
        _delete_personal_data(locked)
        _leave_shared_figures(locked)
        locked.status = ViewerSession.Status.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.sample_count = locked.face_sample_count = 0
        locked.face_visible_share = locked.mean_detection_confidence = None
        locked.save(update_fields=["status", "withdrawn_at", "rollup", "sample_count", "face_sample_count",
                                   "face_visible_share", "mean_detection_confidence", *PERSONAL_FIELDS])
    session.refresh_from_db()
    logger.info("Viewer session %s withdrawn; its data was deleted.", session.id)
    return session


def viewer_session_erase(session: ViewerSession) -> None:
    """A producer deletes a viewer's data (an erasure request): the session is gone entirely."""
    session_id = session.pk
    with transaction.atomic():
        lock_viewer_sessions(pk=session_id)
        _leave_shared_figures(session)
        ViewerSession.objects.filter(pk=session_id).delete()
    logger.info("Viewer session %s erased.", session_id)


def lock_viewer_sessions(**lookup) -> None:
    """Lock the matching sessions until the transaction ends, before deleting them: delete() takes no
    lock before it collects the rows to delete, so a recording chunk being stored would be missed."""
    # In one order everywhere, so two deletions over the same sessions wait instead of deadlocking.
    list(ViewerSession.objects.select_for_update().filter(**lookup).order_by("pk").values_list("pk", flat=True))


@dataclass(frozen=True)
class RecordingChunk:
    """The next bytes of one recording part, as the viewer's browser uploads it while recording."""
    part_id: uuid.UUID
    offset: int  # bytes of the part sent before this chunk
    starts_at_ms: int  # ad time when the part began
    data: UploadedFile


def viewer_recording_append(session: ViewerSession, chunk: RecordingChunk) -> RecordingPart:
    """Store a chunk of the viewer's webcam video while they watch, only if they agreed to keep it.

    A chunk sent again (its answer was lost) stores nothing twice; one that starts past the
    stored end raises RecordingGap with the size to send from.
    """
    if not session.consent_keep_recording:
        raise ParticipationRefused("You did not agree to keep a recording, so none is stored.")
    if chunk.offset < 0:
        raise InvalidInput("A chunk's offset is a byte count, not negative.", "offset")
    with transaction.atomic():
        locked = ViewerSession.objects.select_for_update().select_related("campaign").filter(pk=session.pk).first()
        if locked is None or not locked.holds_data:
            raise ParticipationRefused(SESSION_ERASED_MESSAGE)
        if locked.status != ViewerSession.Status.IN_PROGRESS:
            raise ParticipationRefused("This session has finished; its recording is complete.")
        part = locked.recording_parts.filter(pk=chunk.part_id).first()
        if part is None:
            return _recording_part_start(locked, chunk)
        _recording_part_extend(locked, part, chunk)
        return part


def recording_limit_bytes(campaign: Campaign) -> int:
    """The most a viewer's recording may hold: the ad's length (with time to spare) at a generous
    webcam bitrate, and never more than an uploaded video may."""
    seconds = campaign.ad_duration_s + RECORDING_SPARE_S
    return min(settings.FER_MAX_VIDEO_BYTES, int(seconds * RECORDING_BYTES_PER_S))


def _recording_room_left(session: ViewerSession) -> int:
    stored = session.recording_parts.aggregate(total=Sum("size"))["total"] or 0
    return recording_limit_bytes(session.campaign) - stored


def _too_long() -> InvalidInput:
    return InvalidInput("The recording is longer than the ad; the rest is not kept.", "recording")


def _recording_part_start(session: ViewerSession, chunk: RecordingChunk) -> RecordingPart:
    if chunk.offset != 0:
        raise RecordingGap(0)
    if RecordingPart.objects.filter(pk=chunk.part_id).exists():
        raise InvalidInput("This recording part id is taken; start the part under a new id.", "part")
    existing_parts = session.recording_parts.count()
    if existing_parts >= MAX_RECORDING_PARTS:
        raise InvalidInput(f"A viewer's recording has at most {MAX_RECORDING_PARTS} parts.", "part")
    latest_ms = latest_sample_ms(session.campaign)
    if not 0 <= chunk.starts_at_ms <= latest_ms:
        raise InvalidInput(f"A recording starts between 0 and {latest_ms} ms of the ad.", "start_ms")
    if chunk.data.size > _recording_room_left(session):
        raise _too_long()
    head = media_checks.file_head(chunk.data)
    if media_checks.detect_kind(head) != media_checks.VIDEO:
        raise InvalidInput("The recording is not a video file.", "recording")
    part = RecordingPart(id=chunk.part_id, session=session, starts_at_ms=chunk.starts_at_ms, size=chunk.data.size)
    part.file.save(f"webcam-{existing_parts + 1}.{media_checks.video_extension(head) or 'webm'}", chunk.data, save=False)
    try:
        part.save(force_insert=True)
    except Exception:
        part.file.storage.delete(part.file.name)  # no row will ever point at it
        raise
    return part


def _recording_part_extend(session: ViewerSession, part: RecordingPart, chunk: RecordingChunk) -> None:
    if chunk.offset > part.size:
        raise RecordingGap(part.size)
    already_stored = part.size - chunk.offset
    new_bytes = chunk.data.size - already_stored
    if new_bytes <= 0:
        return
    if new_bytes > _recording_room_left(session):
        raise _too_long()
    # Written at the stored size, not appended: bytes of a write whose transaction failed get overwritten.
    # Needs a storage that opens files for update, as the local file system does.
    with part.file.storage.open(part.file.name, "r+b") as stored:
        stored.seek(part.size)
        chunk.data.seek(already_stored)  # not chunks(): it starts again from byte 0
        while block := chunk.data.read(COPY_BLOCK_BYTES):
            stored.write(block)
        stored.truncate()
    part.size += new_bytes
    part.save(update_fields=["size", "updated_at"])


def viewer_sessions_mark_abandoned(now=None) -> int:
    """Sessions silent for ABANDONED_AFTER are closed as abandoned (their samples still count)."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    stale = ViewerSession.objects.filter(status=ViewerSession.Status.IN_PROGRESS, last_seen_at__lt=cutoff)
    return sum(_close_if_open(session_id, ViewerSession.Status.ABANDONED)
               for session_id in stale.values_list("pk", flat=True))


def campaign_data_purge_expired(now=None) -> int:
    """Apply each campaign's retention period: delete samples, rollups and recordings of older sessions."""
    now = now or timezone.now()
    purged = 0
    for campaign in Campaign.objects.filter(retention_days__isnull=False):
        try:
            cutoff = now - timedelta(days=campaign.retention_days)
        except OverflowError:  # a period from before MAX_RETENTION_DAYS, reaching before year 1: nothing is older
            continue
        expired = campaign.viewer_sessions.filter(started_at__lt=cutoff, data_purged_at__isnull=True)
        for session in expired:
            with transaction.atomic():
                session = (ViewerSession.objects.select_for_update()
                           .filter(pk=session.pk, data_purged_at__isnull=True).first())
                if session is None:
                    continue  # erased (or purged) since the list was read
                _delete_personal_data(session)
                _leave_shared_figures(session)
                session.data_purged_at = now
                session.save(update_fields=["rollup", "data_purged_at", *PERSONAL_FIELDS])
            purged += 1
    if purged:
        logger.info("Retention: deleted the emotion data of %d viewer session(s).", purged)
    return purged
