"""Writes: every business rule that changes data goes through a function here.

One module per subject; the public functions are re-exported so callers write
`from studies import services; services.analysis_job_create(...)`.
"""

from studies.services.analysis_jobs import (
    LIVE_RECORDING_INTERRUPTED_MESSAGE,
    LIVE_RECORDING_STALE_AFTER_S,
    PROGRESS_DONE,
    RUN_SILENT_AFTER,
    UNEXPECTED_FAILURE_MESSAGE,
    BatchUpload,
    VideoProgressReporter,
    analysis_job_create,
    analysis_job_run,
    analysis_jobs_claim_for_user,
    analysis_jobs_create_batch,
    analysis_jobs_delete,
    analysis_jobs_follow_session,
    analysis_jobs_requeue_stale,
    get_analysis_engine,
    job_progress_message,
    live_recording_finish,
    live_recording_heartbeat,
    live_recording_start,
    live_recordings_fail_stale,
    video_engine_options,
)

from studies.services.accounts import (account_delete, account_mark_shared, api_token_replace, api_token_revoke,
                                       sign_in_failed, sign_in_refusal, sign_in_succeeded)
from studies.services.housekeeping import (
    analysis_jobs_delete_unreachable,
    housekeeping_run,
    storage_orphans_delete,
)
from studies.services.campaigns import (
    campaign_create,
    campaign_delete,
    campaign_share,
    campaign_share_update,
    campaign_unshare,
    campaign_update,
    invitation_create,
    invitation_revoke,
    segment_create,
    segment_fields_clean,
    segment_delete,
    segment_update,
)
from studies.services.recordings import viewer_recording_finalize, viewer_recordings_finalize_pending
from studies.services.viewing import (
    Consent,
    RecordingChunk,
    Sample,
    campaign_data_purge_expired,
    invitation_check,
    latest_sample_ms,
    recording_offered,
    viewer_recording_append,
    viewer_samples_add,
    viewer_session_erase,
    viewer_session_finish,
    viewer_session_start,
    viewer_session_withdraw,
    viewer_sessions_mark_abandoned,
)

__all__ = [
    "account_delete", "account_mark_shared", "api_token_replace", "api_token_revoke",
    "sign_in_failed", "sign_in_refusal", "sign_in_succeeded",
    "LIVE_RECORDING_INTERRUPTED_MESSAGE", "LIVE_RECORDING_STALE_AFTER_S", "PROGRESS_DONE", "RUN_SILENT_AFTER",
    "UNEXPECTED_FAILURE_MESSAGE", "BatchUpload", "VideoProgressReporter", "analysis_job_create", "analysis_job_run",
    "analysis_jobs_claim_for_user", "analysis_jobs_create_batch", "analysis_jobs_delete", "analysis_jobs_follow_session", "analysis_jobs_requeue_stale",
    "get_analysis_engine", "job_progress_message", "live_recording_finish", "live_recording_heartbeat",
    "live_recording_start", "live_recordings_fail_stale", "video_engine_options",
    # housekeeping
    "analysis_jobs_delete_unreachable", "housekeeping_run", "storage_orphans_delete",
    # campaigns
    "campaign_create", "campaign_delete", "campaign_share", "campaign_share_update", "campaign_unshare", "campaign_update", "invitation_create", "invitation_revoke",
    "segment_create", "segment_delete", "segment_fields_clean", "segment_update",
    # recordings
    "viewer_recording_finalize", "viewer_recordings_finalize_pending",
    # viewing
    "Consent", "RecordingChunk", "Sample", "campaign_data_purge_expired", "invitation_check", "latest_sample_ms",
    "viewer_recording_append",
    "viewer_samples_add", "viewer_session_erase", "viewer_session_finish", "viewer_session_start",
    "recording_offered",
    "viewer_session_withdraw", "viewer_sessions_mark_abandoned",
]
