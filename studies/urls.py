"""Web routes (the REST API and WebSocket routes live in studies/api/ and the ASGI router)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from studies import account_views, campaign_views, file_views, shared_views, viewer_views, views

app_name = "studies"

urlpatterns = [
    path("", views.home, name="home"),
    path("analyze/image/", views.image_analyze, name="image_analyze"),
    path("analyze/video/", views.video_analyze, name="video_analyze"),
    path("live/", views.live_camera, name="live_camera"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/status.json", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/delete/", views.job_delete, name="job_delete"),
    path("jobs/<uuid:job_id>/annotated.jpg", file_views.job_annotated_image, name="job_annotated_image"),
    path(
        "jobs/<uuid:job_id>/annotated.mp4", file_views.job_file, {"file_name": "annotated_video"},
        name="job_annotated_video",
    ),
    path(
        "jobs/<uuid:job_id>/timeline.csv", file_views.job_file, {"file_name": "timeline_csv"},
        name="job_timeline_csv",
    ),
    path(
        "jobs/<uuid:job_id>/timeline.json", file_views.job_file, {"file_name": "timeline_json"},
        name="job_timeline_json",
    ),
    path("batches/<uuid:batch_id>/", file_views.batch_detail, name="batch_detail"),
    path("batches/<uuid:batch_id>/status.json", file_views.batch_status, name="batch_status"),
    path("batches/<uuid:batch_id>/delete/", file_views.batch_delete, name="batch_delete"),
    path("batches/<uuid:batch_id>/download.zip", file_views.batch_download, name="batch_download"),
    # ad-testing campaigns (producers)
    path("campaigns/", campaign_views.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaign_views.campaign_create, name="campaign_create"),
    path("campaigns/compare/", campaign_views.campaigns_compare, name="campaigns_compare"),
    path("campaigns/<uuid:campaign_id>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:campaign_id>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path("campaigns/<uuid:campaign_id>/delete/", campaign_views.campaign_delete, name="campaign_delete"),
    path("campaigns/<uuid:campaign_id>/ad", campaign_views.campaign_ad_video, name="campaign_ad_video"),
    path("campaigns/<uuid:campaign_id>/segments/", campaign_views.segment_save, name="segment_create"),
    path("campaigns/<uuid:campaign_id>/segments/<int:segment_id>/", campaign_views.segment_save,
         name="segment_update"),
    path("campaigns/<uuid:campaign_id>/segments/<int:segment_id>/delete/", campaign_views.segment_delete,
         name="segment_delete"),
    path("campaigns/<uuid:campaign_id>/invitations/", campaign_views.invitation_create, name="invitation_create"),
    path("campaigns/<uuid:campaign_id>/invitations/<uuid:invitation_id>/revoke/", campaign_views.invitation_revoke,
         name="invitation_revoke"),
    path("campaigns/<uuid:campaign_id>/viewers/<uuid:session_id>/", campaign_views.viewer_detail,
         name="viewer_detail"),
    path("campaigns/<uuid:campaign_id>/viewers/<uuid:session_id>/recordings/<uuid:part_id>",
         campaign_views.viewer_recording_part, name="viewer_recording_part"),
    path("campaigns/<uuid:campaign_id>/viewers/<uuid:session_id>/delete/", campaign_views.viewer_delete,
         name="viewer_delete"),
    path("campaigns/<uuid:campaign_id>/report/", campaign_views.campaign_report, name="campaign_report"),
    path("campaigns/<uuid:campaign_id>/share/", campaign_views.campaign_share, name="campaign_share"),
    path("campaigns/<uuid:campaign_id>/share/update/", campaign_views.campaign_share_update,
         name="campaign_share_update"),
    path("campaigns/<uuid:campaign_id>/share/stop/", campaign_views.campaign_unshare, name="campaign_unshare"),
    path("r/<str:token>/", shared_views.shared_report, name="shared_report"),
    path("r/<str:token>/ad", shared_views.shared_ad_video, name="shared_ad_video"),
    path("campaigns/<uuid:campaign_id>/report.<str:export_format>", campaign_views.campaign_report_export,
         name="campaign_report_export"),
    # viewers (no account)
    path("v/<str:token>/", viewer_views.viewer_consent, name="viewer_consent"),
    path("v/session/<uuid:session_id>/check/", viewer_views.viewer_check, name="viewer_check"),
    path("v/session/<uuid:session_id>/watch/", viewer_views.viewer_watch, name="viewer_watch"),
    path("v/session/<uuid:session_id>/ad", viewer_views.viewer_ad_video, name="viewer_ad_video"),
    path("v/session/<uuid:session_id>/finish/", viewer_views.viewer_finish, name="viewer_finish"),
    path("v/session/<uuid:session_id>/recording/", viewer_views.viewer_recording, name="viewer_recording"),
    path("v/session/<uuid:session_id>/thanks/", viewer_views.viewer_thanks, name="viewer_thanks"),
    path("v/session/<uuid:session_id>/withdraw/", viewer_views.viewer_withdraw, name="viewer_withdraw"),
    path("accounts/", account_views.account, name="account"),
    path("accounts/delete/", account_views.account_delete, name="account_delete"),
    path("accounts/api-token/", account_views.api_token_replace, name="api_token_replace"),
    path("accounts/api-token/revoke/", account_views.api_token_revoke, name="api_token_revoke"),
    path("accounts/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="studies:home"), name="logout"),
]
