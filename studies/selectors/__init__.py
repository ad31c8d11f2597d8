"""Reads: what the views, API and consumers may see, always filtered by who asks.

One module per subject, re-exported here: `from studies import selectors`.
"""

from studies.selectors.accounts import (SHARED_ACCOUNTS_GROUP, account_holdings, account_is_shared, api_token_created,
                                        shared_account_open)
from studies.selectors.analysis_jobs import (
    analysis_job_get_for_viewer,
    analysis_job_list_for_batch,
    analysis_job_list_for_viewer,
    batch_progress,
)

from studies.selectors.campaigns import (
    campaign_get_by_share_token,
    campaign_shareable_figures,
    campaign_get_for_owner,
    campaign_list_for_owner,
    campaign_report,
    campaign_samples,
    campaign_summary,
    invitation_get_by_token,
    invitation_get_for_owner,
    invitation_viewer_count,
    invitations_with_counts,
    report_viewers,
    segment_get_for_owner,
    session_rollup,
    viewer_report,
    viewer_session_for_capture,
    viewer_recording_parts,
    viewer_session_furthest_ms,
    viewer_session_sample_times,
    viewer_session_get_for_owner,
    viewer_sessions_for_campaign,
    viewer_sessions_listed,
)

__all__ = ["SHARED_ACCOUNTS_GROUP", "account_holdings", "account_is_shared", "shared_account_open", "api_token_created", "analysis_job_get_for_viewer", "analysis_job_list_for_batch", "analysis_job_list_for_viewer",
           "batch_progress", "campaign_get_by_share_token", "campaign_shareable_figures", "campaign_get_for_owner", "campaign_list_for_owner", "campaign_report", "campaign_samples",
           "campaign_summary", "invitation_get_by_token", "invitation_get_for_owner", "invitation_viewer_count", "invitations_with_counts",
           "report_viewers",
           "segment_get_for_owner", "session_rollup", "viewer_report", "viewer_session_for_capture",
           "viewer_recording_parts", "viewer_session_furthest_ms", "viewer_session_get_for_owner", "viewer_session_sample_times",
           "viewer_sessions_for_campaign", "viewer_sessions_listed"]
