"""Database models. An AnalysisJob is one uploaded file and everything learned from it."""

import uuid

from django.conf import settings
from django.db import models


JOBS_STORAGE_ROOT = "jobs"


def job_storage_folder(job_id: uuid.UUID | str) -> str:
    """The storage folder of one job's files: its input and every output."""
    # Grouped per job so one folder holds the input and its annotated copy, and goes with the job.
    return f"{JOBS_STORAGE_ROOT}/{job_id}"


def _job_file_path(job: "AnalysisJob", filename: str) -> str:
    return f"{job_storage_folder(job.id)}/{filename}"


class AnalysisJob(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        # A recorded live-camera session: only the emotion timeline, never the frames.
        LIVE = "live", "Live camera"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED_STATUSES = frozenset({Status.SUCCEEDED, Status.FAILED})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="analysis_jobs",
        help_text="Empty for anonymous uploads, which belong to a browser session instead.",
    )
    session_key = models.CharField(max_length=40, blank=True, default="", db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.IMAGE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0..100")
    input_file = models.FileField(upload_to=_job_file_path, max_length=255)
    original_filename = models.CharField(max_length=255, blank=True, default="")
    annotated_file = models.FileField(upload_to=_job_file_path, max_length=255, blank=True, default="")
    # Video outputs are attached only once the whole video succeeded, never part-way.
    timeline_csv = models.FileField(upload_to=_job_file_path, max_length=255, blank=True, default="")
    timeline_json = models.FileField(upload_to=_job_file_path, max_length=255, blank=True, default="")
    result = models.JSONField(
        null=True, blank=True,
        help_text="inference ImageAnalysis.to_dict(), VideoResult.to_dict(), or a live recording's summary",
    )
    progress_detail = models.JSONField(
        default=dict, blank=True, help_text="videos: frames_done, frames_total, frames_per_s, seconds_left"
    )
    error_message = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    timings_ms = models.JSONField(
        default=dict, blank=True, help_text="queue wait, analysis, rendering and total, in milliseconds"
    )
    batch_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_created"),
            models.Index(fields=["session_key", "-created_at"], name="job_session_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="job_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} analysis {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def is_video(self) -> bool:
        return self.kind == self.Kind.VIDEO

    @property
    def is_live(self) -> bool:
        return self.kind == self.Kind.LIVE

    @property
    def has_timeline(self) -> bool:
        """Videos and live recordings: face tracks, a per-frame timeline, CSV/JSON files."""
        return self.kind in (self.Kind.VIDEO, self.Kind.LIVE)

    @property
    def face_count(self) -> int | None:
        """Faces in an image; face tracks (people) in a video or live recording."""
        if self.status != self.Status.SUCCEEDED or not self.result:
            return None
        if self.has_timeline:
            return len(self.result.get("tracks", []))
        return len(self.result.get("faces", []))

    @property
    def attached_file_names(self) -> set[str]:
        """The storage names of the files this job points to: its upload and whatever outputs it has."""
        fields = (self.input_file, self.annotated_file, self.timeline_csv, self.timeline_json)
        return {field.name for field in fields if field}

    @property
    def progress_group_name(self) -> str:
        """The channel-layer group that hears this job's progress."""
        return job_progress_group_name(self.id)


def job_progress_group_name(job_id: uuid.UUID | str) -> str:
    return f"job_{uuid.UUID(str(job_id)).hex}"
