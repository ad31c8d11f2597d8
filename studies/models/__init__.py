"""Database models: analysis jobs (images, videos, live recordings) and ad-testing campaigns."""

from studies.models.analysis_jobs import AnalysisJob, _job_file_path, job_progress_group_name, job_storage_folder
from studies.models.campaigns import (
    PER_MILLE,
    Campaign,
    EmotionSample,
    Invitation,
    RecordingPart,
    SampleBatch,
    Segment,
    ViewerSession,
)

__all__ = ["PER_MILLE", "AnalysisJob", "Campaign", "EmotionSample", "Invitation", "RecordingPart", "SampleBatch", "Segment",
           "ViewerSession", "_job_file_path", "job_progress_group_name", "job_storage_folder"]
