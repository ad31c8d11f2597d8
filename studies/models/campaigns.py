"""Ad-testing campaigns: the ad, its segments, invitations, viewer sessions and their emotion samples."""

import math
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from inference.labels import EMOTIONS

# Probabilities are stored in thousandths (0..1000) in two-byte columns: a viewer
# sends up to 10 samples a second, and 0.1 % is finer than any difference that matters.
PER_MILLE = 1000


CAMPAIGNS_STORAGE_ROOT = "campaigns"


def campaign_storage_folder(campaign_id) -> str:
    """The storage folder of everything a campaign keeps: its ad and its viewers' recordings."""
    return f"{CAMPAIGNS_STORAGE_ROOT}/{campaign_id}"


def campaign_ad_folder(campaign_id) -> str:
    return f"{campaign_storage_folder(campaign_id)}/ad"


def campaign_viewers_folder(campaign_id) -> str:
    """The folder holding one folder per viewer who kept a recording."""
    return f"{campaign_storage_folder(campaign_id)}/viewers"


def viewer_session_storage_folder(campaign_id, session_id) -> str:
    """The storage folder of one viewer's recording parts."""
    return f"{campaign_viewers_folder(campaign_id)}/{session_id}"


def _ad_video_path(campaign: "Campaign", filename: str) -> str:
    return f"{campaign_ad_folder(campaign.id)}/{filename}"


def _viewer_recording_path(session: "ViewerSession", filename: str) -> str:
    # Only migration 0004 refers to it (the single recording a session had before RecordingPart).
    return f"{viewer_session_storage_folder(session.campaign_id, session.id)}/{filename}"


def _recording_part_path(part: "RecordingPart", filename: str) -> str:
    return f"{viewer_session_storage_folder(part.session.campaign_id, part.session_id)}/{filename}"


def new_invitation_token() -> str:
    return secrets.token_urlsafe(16)


def new_ingest_token() -> str:
    return secrets.token_urlsafe(32)


def new_viewer_id() -> str:
    return "viewer-" + secrets.token_hex(4)


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        COLLECTING = "collecting", "Collecting"
        CLOSED = "closed", "Closed"

    # Ten years: longer is "until deleted by hand" (empty), and far longer overflowed the dates.
    MAX_RETENTION_DAYS = 3650

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    brand = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    ad_video = models.FileField(upload_to=_ad_video_path, max_length=255)
    ad_original_filename = models.CharField(max_length=255, blank=True, default="")
    # Read from the video when it is uploaded.
    ad_duration_s = models.FloatField()
    ad_fps = models.FloatField(null=True, blank=True)
    ad_width = models.PositiveIntegerField(null=True, blank=True)
    ad_height = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    retention_days = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Viewers' emotion samples and recordings are deleted this many days after they watched; "
                  "empty keeps them until deleted by hand.",
    )
    is_demo = models.BooleanField(default=False, help_text="Synthetic data made by ensure_demo_campaign.")
    share_token = models.CharField(
        max_length=64, unique=True, null=True, blank=True,
        help_text="Whoever has the link /r/<token>/ sees the report's aggregates, read-only; empty: not shared.")
    shared_at = models.DateTimeField(null=True, blank=True)
    # Frozen when the link is made or updated, so visits a day apart cannot be subtracted to single out
    # the viewers who came in between: {"figures": what the page shows, "sessions": the viewers' ids}.
    share_snapshot = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="campaign_owner_created")]

    def __str__(self) -> str:
        return self.name


class Segment(models.Model):
    """A named stretch of the ad and the emotion(s) it is meant to evoke."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=120)
    start_s = models.FloatField()
    end_s = models.FloatField()
    expected_emotions = models.JSONField(default=list, help_text=f"one or more of {', '.join(EMOTIONS)}")
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["start_s", "end_s", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(start_s__gte=0), name="segment_starts_at_or_after_0"),
            models.CheckConstraint(condition=models.Q(end_s__gt=models.F("start_s")), name="segment_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_s:g}-{self.end_s:g} s)"


class Invitation(models.Model):
    """A shareable link through which viewers join a campaign."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    label = models.CharField(max_length=120, blank=True, default="", help_text="e.g. the panel it was sent to")
    expires_at = models.DateTimeField(null=True, blank=True)
    max_viewers = models.PositiveIntegerField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or f"Invitation {self.token[:6]}…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class ViewerSession(models.Model):
    """One anonymous viewer watching the ad once: the consent given, then the capture's outcome."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        ABANDONED = "abandoned", "Abandoned"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class AgeBand(models.TextChoices):
        UNDER_18 = "under_18", "Under 18"
        AGE_18_24 = "18_24", "18-24"
        AGE_25_34 = "25_34", "25-34"
        AGE_35_44 = "35_44", "35-44"
        AGE_45_54 = "45_54", "45-54"
        AGE_55_64 = "55_64", "55-64"
        AGE_65_PLUS = "65_plus", "65 or over"

    class Gender(models.TextChoices):
        WOMAN = "woman", "Woman"
        MAN = "man", "Man"
        NON_BINARY = "non_binary", "Non-binary"
        OTHER = "other", "Another answer"

    # A report filter's value for the viewers who preferred not to answer (stored as "").
    NOT_GIVEN = "not_given"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="viewer_sessions")
    invitation = models.ForeignKey(Invitation, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="viewer_sessions")
    viewer_id = models.CharField(max_length=32, default=new_viewer_id, editable=False,
                                 help_text="Anonymous: no name, e-mail or account is ever asked.")
    # A secret the viewer's own browser (or SDK) presents to post samples through the API.
    ingest_token = models.CharField(max_length=64, default=new_ingest_token, editable=False)
    consent_version = models.CharField(max_length=32)
    consented_at = models.DateTimeField()
    consent_analyse_webcam = models.BooleanField()
    consent_keep_recording = models.BooleanField(default=False)
    consent_guardian = models.BooleanField(
        default=False, help_text="The viewer said they were under 18, and a parent or guardian agreed too.")
    self_report_age = models.CharField(max_length=16, choices=AgeBand.choices, blank=True, default="")
    self_report_gender = models.CharField(max_length=16, choices=Gender.choices, blank=True, default="")
    user_agent = models.CharField(max_length=400, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    data_purged_at = models.DateTimeField(null=True, blank=True,
                                          help_text="when the campaign's retention period deleted the samples")
    # Quality figures, kept up to date as samples arrive.
    sample_count = models.PositiveIntegerField(default=0)
    face_sample_count = models.PositiveIntegerField(default=0)
    face_visible_share = models.FloatField(null=True, blank=True)
    mean_detection_confidence = models.FloatField(null=True, blank=True)
    # Per 250 ms of the ad: sample counts and probability sums (studies.reports); empty until
    # computed, and emptied again whenever samples change.
    rollup = models.BinaryField(null=True, blank=True, editable=False)
    is_demo = models.BooleanField(default=False, help_text="Synthetic viewer made by ensure_demo_campaign.")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["campaign", "status"], name="viewer_session_campaign_status")]

    def __str__(self) -> str:
        return f"{self.viewer_id} on {self.campaign}"

    @property
    def face_visible_percent(self) -> int | None:
        """Rounded down, so a viewer shown as 90 % is never one an "at least 90 %" filter leaves out."""
        return None if self.face_visible_share is None else math.floor(100 * self.face_visible_share + 1e-9)

    @property
    def holds_data(self) -> bool:
        """Its samples and recordings are kept: neither withdrawn nor past the retention period. (The
        queryset form of the rule is selectors.viewer_sessions_for_campaign.)"""
        return self.status != self.Status.WITHDRAWN and self.data_purged_at is None

    @property
    def is_capturing(self) -> bool:
        """Samples may be stored: consent to webcam analysis given and the session still open."""
        return self.consent_analyse_webcam and self.status == self.Status.IN_PROGRESS


class RecordingPart(models.Model):
    """One unbroken stretch of a viewer's webcam video, kept only if the viewer agreed.

    The browser uploads it second by second as it records, so leaving the page loses only what
    had not arrived yet (usually a second or two); a viewer who comes back and continues the ad
    starts a new part. Deleting the row deletes the file (studies.signals).
    """

    id = models.UUIDField(primary_key=True, editable=False, help_text="chosen by the recording browser")
    session = models.ForeignKey(ViewerSession, on_delete=models.CASCADE, related_name="recording_parts")
    starts_at_ms = models.PositiveIntegerField(help_text="time in the ad when this part began, milliseconds")
    file = models.FileField(upload_to=_recording_part_path, max_length=255)
    # Bytes received so far; the file may hold more after a failed write, which the next chunk overwrites.
    size = models.PositiveBigIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True,
                                              help_text="the part's length, known once it is finalized")
    finalize_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="tries to finalize it; a file that took its worker down is not tried for ever")
    finalized_at = models.DateTimeField(
        null=True, blank=True,
        help_text="when the finished recording was rewritten with its length and seek index (studies.recording_files)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Recording of {self.session_id} from {self.starts_at_clock}"

    @property
    def starts_at_clock(self) -> str:
        """Where in the ad the part begins, as m:ss."""
        return _clock(self.starts_at_ms)

    @property
    def ends_at_clock(self) -> str | None:
        """Where in the ad the part ends, as m:ss, once its length is known."""
        return None if self.duration_ms is None else _clock(self.starts_at_ms + self.duration_ms)


def _clock(milliseconds: int) -> str:
    minutes, seconds = divmod(milliseconds // 1000, 60)
    return f"{minutes}:{seconds:02d}"


class EmotionSample(models.Model):
    """One analysed webcam frame, stamped with the ad's playback time. Probabilities in thousandths."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(ViewerSession, on_delete=models.CASCADE, related_name="samples")
    t_ms = models.PositiveIntegerField(help_text="time in the ad, milliseconds")
    face = models.BooleanField(help_text="a face was visible; if not, the probabilities are 0")
    detection = models.PositiveSmallIntegerField(default=0, help_text="detection confidence, thousandths")
    angry = models.PositiveSmallIntegerField(default=0)
    disgust = models.PositiveSmallIntegerField(default=0)
    fear = models.PositiveSmallIntegerField(default=0)
    happy = models.PositiveSmallIntegerField(default=0)
    sad = models.PositiveSmallIntegerField(default=0)
    surprise = models.PositiveSmallIntegerField(default=0)
    neutral = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["session", "t_ms"], name="sample_session_time")]

    def probabilities(self) -> dict[str, float]:
        return {name: getattr(self, name) / PER_MILLE for name in EMOTIONS}


class SampleBatch(models.Model):
    """A batch of samples posted through the API, remembered so a retried POST stores nothing twice."""

    session = models.ForeignKey(ViewerSession, on_delete=models.CASCADE, related_name="sample_batches")
    batch_id = models.UUIDField()
    count = models.PositiveIntegerField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "batch_id"], name="sample_batch_once")]
        verbose_name_plural = "sample batches"
