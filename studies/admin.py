from django.contrib import admin

from studies.models import AnalysisJob


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
