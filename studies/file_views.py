"""Job files and batch pages, each behind the same viewer check as the job itself.

Files are streamed through these views (never from MEDIA_URL), so nobody can
fetch another person's upload or result by guessing a path.
"""

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studies import batch_export, presenters, selectors, services
from studies.file_responses import download_name_for, ranged_file_response, streamed
from studies.models import AnalysisJob
from studies.views import get_job_or_404, viewer_of

JOB_FILES = {
    # url name -> (field, content type, saved as "<upload's stem>_<ending>", download or show inline)
    # The player needs the video inline; the page's download link still saves it under its name.
    "annotated_video": ("annotated_file", "video/mp4", "annotated.mp4", False),
    "timeline_csv": ("timeline_csv", "text/csv; charset=utf-8", "timeline.csv", True),
    "timeline_json": ("timeline_json", "application/json", "timeline.json", True),
}


MISSING_FILE_MESSAGE = "This file is missing from the server's storage. Analyse the upload again to get it back."


def job_download_name(job: AnalysisJob, ending: str) -> str:
    """The name to save a job's file under: "ad_timeline.csv" for an upload "ad.mp4".

    A job without a file name keeps the name its files were always saved under, "<job id>-timeline.csv".
    """
    return download_name_for(job.original_filename, ending, fallback=f"{job.id}-{ending}")


def annotated_image_response(job: AnalysisJob) -> FileResponse:
    """The annotated JPEG for an <img>, saved as "holiday_annotated.jpg" from a download link."""
    # Without a name FileResponse would offer the stored one, "annotated.jpg", for every photo.
    filename = download_name_for(job.original_filename, "annotated.jpg", fallback="annotated.jpg")
    try:
        stored = job.annotated_file.open("rb")
    except FileNotFoundError:  # removed from the storage behind the database's back
        raise Http404(MISSING_FILE_MESSAGE) from None
    return FileResponse(stored, content_type="image/jpeg", filename=filename)


@require_GET
def job_annotated_image(request, job_id):
    job = get_job_or_404(request, job_id)
    if not job.annotated_file or job.has_timeline:
        raise Http404("This analysis has no annotated image.")
    return annotated_image_response(job)


def serve_job_file(request, job: AnalysisJob, file_name: str):
    """A video output with Range support; 404 until the job succeeded and attached it."""
    field_name, content_type, ending, as_attachment = JOB_FILES[file_name]
    field_file = getattr(job, field_name)
    if not job.has_timeline:
        raise Http404("Only video and live-camera analyses have this file; a photo's result is its annotated image.")
    if job.status != AnalysisJob.Status.SUCCEEDED or not field_file:
        raise Http404("This analysis has no such file yet.")
    return ranged_file_response(request, field_file, content_type=content_type,
                                download_name=job_download_name(job, ending), as_attachment=as_attachment)


@require_http_methods(["GET", "HEAD"])
def job_file(request, job_id, file_name):
    return serve_job_file(request, get_job_or_404(request, job_id), file_name)


def _batch_jobs_or_404(request, batch_id):
    try:
        return selectors.analysis_job_list_for_batch(batch_id=batch_id, **viewer_of(request))
    except AnalysisJob.DoesNotExist:
        raise Http404("No such batch, or it belongs to someone else.")


def _batch_payload(batch_id, jobs):
    summary = selectors.batch_progress(jobs)
    return {
        "id": str(batch_id),
        **summary,
        "download_url": reverse("studies:batch_download", args=[batch_id])
        if summary["counts"][AnalysisJob.Status.SUCCEEDED]
        else None,
        "jobs": [
            {"id": str(job.id), "status": job.status, "progress": job.progress, "kind": job.kind}
            for job in jobs
        ],
    }


@require_GET
def batch_detail(request, batch_id):
    jobs = _batch_jobs_or_404(request, batch_id)
    context = {
        "batch_id": batch_id,
        "batch": _batch_payload(batch_id, jobs),
        "batch_jobs": [presenters.job_context(job) for job in jobs],
    }
    return render(request, "studies/batch_detail.html", context)


@require_POST
def batch_delete(request, batch_id):
    jobs = _batch_jobs_or_404(request, batch_id)
    deleted = services.analysis_jobs_delete(jobs)  # a batch holds uploads only, never a live recording
    messages.success(request, f"Deleted {deleted} analys{'is' if deleted == 1 else 'es'} of the batch, "
                              "with the uploads and results.")
    return redirect("studies:job_list")


@require_GET
def batch_status(request, batch_id):
    jobs = _batch_jobs_or_404(request, batch_id)
    return JsonResponse(_batch_payload(batch_id, jobs), headers={"Cache-Control": "no-store"})


@require_GET
def batch_download(request, batch_id):
    jobs = _batch_jobs_or_404(request, batch_id)
    if not any(job.status == AnalysisJob.Status.SUCCEEDED for job in jobs):
        raise Http404("No analysis of this batch has finished yet.")
    response = StreamingHttpResponse(streamed(request, batch_export.iter_batch_zip(jobs)),
                                     content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, f"batch-{batch_id}.zip")
    return response
