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
    )
    fieldsets = (
        (None, {"fields": ("id", "kind", "status", "progress", "error_message", "attempts")}),
        ("Owner", {"fields": ("owner", "session_key", "batch_id")}),
        ("Files", {"fields": ("original_filename", "input_file", "annotated_file")}),
        ("Result", {"fields": ("result", "timings_ms")}),
        ("Times", {"fields": ("created_at", "started_at", "finished_at", "updated_at")}),
    )
