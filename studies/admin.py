from django.contrib import admin

from studies.models import AnalysisJob, Campaign, EmotionSample, Invitation, SampleBatch, Segment, ViewerSession


@admin.register(AnalysisJob)
class AnalysisJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "progress", "owner", "original_filename", "face_count", "created_at")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("id", "original_filename", "owner__username", "batch_id")
    date_hierarchy = "created_at"
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    readonly_fields = (
        "id", "created_at", "started_at", "finished_at", "updated_at", "attempts", "result", "timings_ms",
        "progress_detail",
    )
    fieldsets = (
        (None, {"fields": ("id", "kind", "status", "progress", "progress_detail", "error_message", "attempts")}),
        ("Owner", {"fields": ("owner", "session_key", "batch_id")}),
        ("Files", {"fields": ("original_filename", "input_file", "annotated_file", "timeline_csv", "timeline_json")}),
        ("Result", {"fields": ("result", "timings_ms")}),
        ("Times", {"fields": ("created_at", "started_at", "finished_at", "updated_at")}),
    )


class SegmentInline(admin.TabularInline):
    model = Segment
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
    readonly_fields = ("id", "ad_duration_s", "ad_fps", "ad_width", "ad_height", "created_at", "updated_at")
    inlines = [SegmentInline, InvitationInline]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
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
