from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from studies import services
from studies.errors import InvalidInput
from studies.models import AnalysisJob, Campaign, EmotionSample, Invitation, SampleBatch, Segment, ViewerSession


def _file_link(field_file, url_name=None, *args):
    """A stored file's name, linked to the product view that serves it: /media/ is not served at all."""
    if not field_file:
        return None
    if url_name is None:
        return field_file.name
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=args), field_file.name)


@admin.register(AnalysisJob)
class AnalysisJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "progress", "owner", "original_filename", "face_count", "created_at")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("id", "original_filename", "owner__username", "batch_id")
    date_hierarchy = "created_at"
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    # Jobs are made and run by the upload service and the worker; an edited status or file would lie.
    readonly_fields = (
        "id", "kind", "status", "progress", "progress_detail", "error_message", "attempts", "session_key",
        "batch_id", "original_filename", "input_file_link", "annotated_file_link", "timeline_csv_link",
        "timeline_json_link", "result", "timings_ms", "created_at", "started_at", "finished_at", "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("id", "kind", "status", "progress", "progress_detail", "error_message", "attempts")}),
        ("Owner", {"fields": ("owner", "session_key", "batch_id")}),
        ("Files", {"fields": ("original_filename", "input_file_link", "annotated_file_link", "timeline_csv_link",
                              "timeline_json_link")}),
        ("Result", {"fields": ("result", "timings_ms")}),
        ("Times", {"fields": ("created_at", "started_at", "finished_at", "updated_at")}),
    )

    def has_add_permission(self, request):
        # A job added here would skip the upload checks and never be queued.
        return False

    @admin.display(description="input file")
    def input_file_link(self, job):
        return _file_link(job.input_file)  # no view serves the upload back

    @admin.display(description="annotated file")
    def annotated_file_link(self, job):
        url_name = "studies:job_annotated_video" if job.has_timeline else "studies:job_annotated_image"
        return _file_link(job.annotated_file, url_name, job.id)

    @admin.display(description="timeline CSV")
    def timeline_csv_link(self, job):
        return _file_link(job.timeline_csv, "studies:job_timeline_csv", job.id)

    @admin.display(description="timeline JSON")
    def timeline_json_link(self, job):
        return _file_link(job.timeline_json, "studies:job_timeline_json", job.id)


class SegmentAdminForm(forms.ModelForm):
    """Holds a segment to the service's rules: the reports index the ad's time and EMOTIONS by them."""

    class Meta:
        model = Segment
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        emotions = cleaned.get("expected_emotions")
        # The JSON box takes any value; the service expects names (a number would crash it).
        if emotions is not None and not (isinstance(emotions, (list, str))
                                         and all(isinstance(emotion, str) for emotion in emotions)):
            self.add_error("expected_emotions", 'Write the emotions as a list, e.g. ["happy", "surprise"].')
        if self.errors:  # the service needs every value
            return cleaned
        fields = ("name", "start_s", "end_s", "expected_emotions", "notes")
        try:
            cleaned.update(services.segment_fields_clean(cleaned["campaign"], **{name: cleaned[name] for name in fields}))
        except InvalidInput as error:
            raise ValidationError({error.field: error.message} if error.field in self.fields else error.message)
        return cleaned


class SegmentInline(admin.TabularInline):
    model = Segment
    form = SegmentAdminForm
    extra = 0


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    readonly_fields = ("token", "created_at")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "brand", "owner", "status", "ad_duration_s", "is_demo", "created_at")
    list_filter = ("status", "is_demo", "created_at")
    search_fields = ("name", "brand", "owner__username", "id")
    raw_id_fields = ("owner",)
    exclude = ("ad_video",)
    # Sharing is the producer's Share button: a token typed here would have no snapshot to show.
    readonly_fields = ("id", "ad_video_link", "ad_duration_s", "ad_fps", "ad_width", "ad_height", "share_token",
                       "shared_at", "share_snapshot", "created_at", "updated_at")
    inlines = [SegmentInline, InvitationInline]

    def has_add_permission(self, request):
        # A campaign starts from its ad, checked and measured by services.campaign_create: the producer's
        # "New campaign" page or the API. Saved from here it would have no duration.
        return False

    @admin.display(description="ad video")
    def ad_video_link(self, campaign):
        return _file_link(campaign.ad_video, "studies:campaign_ad_video", campaign.id)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentAdminForm
    list_display = ("name", "campaign", "start_s", "end_s", "expected_emotions")
    search_fields = ("name", "campaign__name")
    raw_id_fields = ("campaign",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("label", "campaign", "token", "expires_at", "max_viewers", "revoked_at", "created_at")
    search_fields = ("label", "token", "campaign__name")
    raw_id_fields = ("campaign",)
    readonly_fields = ("token", "created_at")


@admin.register(ViewerSession)
class ViewerSessionAdmin(admin.ModelAdmin):
    list_display = ("viewer_id", "campaign", "status", "sample_count", "face_visible", "consent_version",
                    "is_demo", "started_at")
    list_filter = ("status", "is_demo", "consent_keep_recording", "started_at")
    search_fields = ("viewer_id", "id", "campaign__name")
    raw_id_fields = ("campaign", "invitation")
    readonly_fields = ("id", "viewer_id", "consent_version", "consented_at", "consent_analyse_webcam",
                       "consent_keep_recording", "started_at", "finished_at", "withdrawn_at", "data_purged_at",
                       "sample_count", "face_sample_count", "face_visible_share", "mean_detection_confidence")
    exclude = ("rollup", "ingest_token")

    @admin.display(description="face visible", ordering="face_visible_share")
    def face_visible(self, session):
        return "–" if session.face_visible_percent is None else f"{session.face_visible_percent}%"


@admin.register(EmotionSample)
class EmotionSampleAdmin(admin.ModelAdmin):
    list_display = ("session", "t_ms", "face", "detection", "happy", "surprise", "neutral")
    raw_id_fields = ("session",)
    list_select_related = ("session",)
    # hundreds of thousands of rows: no COUNT(*) over them for each page
    show_full_result_count = False


@admin.register(SampleBatch)
class SampleBatchAdmin(admin.ModelAdmin):
    list_display = ("session", "batch_id", "count", "received_at")
    raw_id_fields = ("session",)


def _masked_key(key: str) -> str:
    return f"{key[:4]}…"


# DRF's admin prints every API key, so any staff member could act as any user. Importing its
# TokenAdmin above has registered it, whatever the order of INSTALLED_APPS.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    """Who has an API token, and revoking it; the key itself never leaves the database.

    DRF's TokenAdmin is kept for its URLs, which name the user rather than the key.
    """

    list_display = ("masked_key", "user", "created")
    fields = readonly_fields = ("user", "masked_key", "created")

    @admin.display(description="key")
    def masked_key(self, token):
        return _masked_key(token.key)

    def get_object(self, request, object_id, from_field=None):
        token = super().get_object(request, object_id, from_field)
        if token is not None:
            # str(token) is the key, and the change, history and delete pages all print it.
            token.key = _masked_key(token.key)
        return token

    def has_add_permission(self, request):
        return False  # its owner makes one on the account page, and sees it once

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.api_token_revoke(obj.user)
