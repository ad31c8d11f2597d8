"""REST API routes, mounted at /api/v1/."""

from django.urls import path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from studies.api import campaigns, views

app_name = "api"

urlpatterns = [
    path("jobs/", views.JobListCreateApi.as_view(), name="job_list"),
    path("jobs/<uuid:job_id>/", views.JobDetailApi.as_view(), name="job_detail"),
    path("jobs/<uuid:job_id>/annotated.jpg", views.JobAnnotatedImageApi.as_view(), name="job_annotated_image"),
    path(
        "jobs/<uuid:job_id>/annotated.mp4", views.JobAnnotatedVideoApi.as_view(),
        name="job_annotated_video",
    ),
    path("jobs/<uuid:job_id>/timeline.csv", views.JobTimelineCsvApi.as_view(), name="job_timeline_csv"),
    path(
        "jobs/<uuid:job_id>/timeline.json", views.JobTimelineJsonApi.as_view(),
        name="job_timeline_json",
    ),
    # ad-testing campaigns (producers)
    path("campaigns/", campaigns.CampaignListCreateApi.as_view(), name="campaign_list"),
    path("campaigns/<uuid:campaign_id>/", campaigns.CampaignDetailApi.as_view(), name="campaign_detail"),
    path("campaigns/<uuid:campaign_id>/segments/", campaigns.SegmentListCreateApi.as_view(), name="campaign_segments"),
    path("campaigns/<uuid:campaign_id>/invitations/", campaigns.InvitationListCreateApi.as_view(),
         name="campaign_invitations"),
    path("campaigns/<uuid:campaign_id>/viewer-sessions/", campaigns.ViewerSessionListApi.as_view(),
         name="campaign_viewer_sessions"),
    path("campaigns/<uuid:campaign_id>/report/", campaigns.CampaignReportApi.as_view(), name="campaign_report"),
    path("campaigns/<uuid:campaign_id>/samples.csv", campaigns.CampaignSamplesCsvApi.as_view(),
         name="campaign_samples_csv"),
    path("segments/<int:segment_id>/", campaigns.SegmentDetailApi.as_view(), name="segment_detail"),
    path("invitations/<uuid:invitation_id>/", campaigns.InvitationDetailApi.as_view(), name="invitation_detail"),
    path("invitations/<uuid:invitation_id>/revoke/", campaigns.InvitationRevokeApi.as_view(), name="invitation_revoke"),
    path("viewer-sessions/<uuid:session_id>/", campaigns.ViewerSessionDetailApi.as_view(), name="viewer_session_detail"),
    path("viewer-sessions/<uuid:session_id>/report/", campaigns.ViewerReportApi.as_view(), name="viewer_session_report"),
    # viewers' clients (no account)
    path("join/<str:token>/", campaigns.JoinApi.as_view(), name="viewer_join"),
    path("viewer-sessions/<uuid:session_id>/samples/", campaigns.SampleIngestApi.as_view(), name="viewer_samples"),
    path("viewer-sessions/<uuid:session_id>/finish/", campaigns.ViewerFinishApi.as_view(), name="viewer_finish"),
    path("viewer-sessions/<uuid:session_id>/withdraw/", campaigns.ViewerWithdrawApi.as_view(), name="viewer_withdraw"),
    path("auth/token/", views.AuthTokenApi.as_view(), name="auth_token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", RedirectView.as_view(pattern_name="api:docs")),
    # Last, so only what nothing above matched.
    re_path(r"^.*/$", views.UnknownEndpointApi.as_view(), name="unknown_endpoint"),
    re_path(r"^.*[^/]$", views.MissingSlashApi.as_view(), name="missing_slash"),
]
