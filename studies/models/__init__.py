"""Database models: analysis jobs (images, videos, live recordings) and ad-testing campaigns."""

from studies.models.analysis_jobs import (JOBS_STORAGE_ROOT, AnalysisJob, _job_file_path, job_progress_group_name,
                                         job_storage_folder)
from studies.models.campaigns import (
    CAMPAIGNS_STORAGE_ROOT,
    PER_MILLE,
    Campaign,
    EmotionSample,
    Invitation,
    RecordingPart,
    SampleBatch,
    Segment,
    ViewerSession,
    campaign_ad_folder,
    campaign_storage_folder,
    campaign_viewers_folder,
    viewer_session_storage_folder,
)

__all__ = ["CAMPAIGNS_STORAGE_ROOT", "JOBS_STORAGE_ROOT", "PER_MILLE", "AnalysisJob", "Campaign", "EmotionSample", "Invitation", "RecordingPart", "SampleBatch", "Segment",
           "ViewerSession", "_job_file_path", "campaign_ad_folder", "campaign_storage_folder", "campaign_viewers_folder", "job_progress_group_name",
           "job_storage_folder", "viewer_session_storage_folder"]
