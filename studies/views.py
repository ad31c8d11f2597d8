"""Web pages: home, image upload, job result and list, sign-up.

Views stay thin: they read the request, call one service or selector, and shape
what the templates show. Result pages are rendered by one template whether the
job finished before the page loaded or while it was open (the page then fetches
the same fragment), so there is a single way results look.
"""

import json
import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from inference.labels import EMOJI, EMOTIONS
from studies import selectors, services
from studies.errors import UploadRejected
from studies.forms import ImageUploadForm, SignupForm
from studies.models import AnalysisJob

JOBS_PER_PAGE = 20


def _viewer(request):
    return {"user": request.user, "session_key": request.session.session_key}


def _owner_session_key(request):
    """Anonymous uploads are owned by the session, so make sure one exists."""
    if request.user.is_authenticated:
        return None
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def _get_job_or_404(request, job_id):
    try:
        return selectors.analysis_job_get_for_viewer(job_id=job_id, **_viewer(request))
    except AnalysisJob.DoesNotExist:
        raise Http404("No such analysis, or it belongs to someone else.")


def _box_of(face):
    box = face.get("box") or ()
    if isinstance(box, dict):
        return tuple(int(box.get(key, 0)) for key in ("x", "y", "w", "h"))
    return tuple(int(value) for value in box)


def _face_rows(result):
    """Per-face probabilities in percent, in the canonical class order."""
    rows = []
    for number, face in enumerate((result or {}).get("faces", []), start=1):
        probabilities = face.get("probabilities", {})
        top = face.get("label") or max(probabilities, key=probabilities.get)
        emotions = [
            {
                "name": name,
                "emoji": EMOJI[name],
                "percent": 100.0 * float(probabilities.get(name, 0.0)),
                "is_top": name == top,
            }
            for name in EMOTIONS
        ]
        rows.append(
            {
                "number": number,
                "label": top,
                "emoji": EMOJI.get(top, ""),
                "confidence_percent": 100.0 * float(face.get("confidence", probabilities.get(top, 0.0))),
                "box": _box_of(face),
                "emotions": emotions,
                "chart_json": json.dumps(
                    {
                        "emotions": list(EMOTIONS),
                        "labels": [f"{EMOJI[name]} {name}" for name in EMOTIONS],
                        "values": [round(row["percent"], 2) for row in emotions],
                    }
                ),
            }
        )
    return rows


def _emotion_summary(face_rows):
    counts = {}
    for row in face_rows:
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    return [
        {"name": name, "emoji": EMOJI.get(name, ""), "count": count}
        for name, count in sorted(counts.items(), key=lambda item: -item[1])
    ]


def _job_context(job):
    face_rows = _face_rows(job.result) if job.status == AnalysisJob.Status.SUCCEEDED else []
    return {
        "job": job,
        "is_terminal": job.is_finished,
        "face_rows": face_rows,
        "emotion_summary": _emotion_summary(face_rows),
        "timings": (job.result or {}).get("timings_ms", {}),
    }


def _status_payload(job):
    payload = {
        "id": str(job.id),
        "status": job.status,
        "progress": job.progress,
        "original_filename": job.original_filename,
        "error_message": job.error_message or "",
        "detail_url": reverse("studies:job_detail", args=[job.id]),
        "result_html_url": None,
        "annotated_image_url": None,
        "face_count": None,
    }
    if job.is_finished:
        payload["result_html_url"] = reverse("studies:job_detail", args=[job.id]) + "?fragment=result"
    if job.status == AnalysisJob.Status.SUCCEEDED:
        payload["face_count"] = len((job.result or {}).get("faces", []))
        if job.annotated_file:
            payload["annotated_image_url"] = reverse("studies:job_annotated_image", args=[job.id])
    return payload


@require_GET
def home(request):
    return render(request, "studies/home.html", {"emotions": [(name, EMOJI[name]) for name in EMOTIONS]})


@require_http_methods(["GET", "POST"])
def image_analyze(request):
    if request.method == "POST":
        form = ImageUploadForm(request.POST, request.FILES)
        if form.is_valid():
            return _create_image_jobs(request, form.cleaned_data["files"])
    else:
        form = ImageUploadForm()

    batch_jobs = []
    batch_id = request.GET.get("batch")
    if batch_id:
        try:
            batch_uuid = uuid.UUID(batch_id)
        except ValueError:
            raise Http404("No such batch.")
        jobs = selectors.analysis_job_list_for_viewer(**_viewer(request))
        batch_jobs = [_job_context(job) for job in jobs.filter(batch_id=batch_uuid).order_by("created_at")]
    return render(request, "studies/image_analyze.html", {"form": form, "batch_jobs": batch_jobs})


def _create_image_jobs(request, files):
    session_key = _owner_session_key(request)
    owner = request.user if request.user.is_authenticated else None
    batch_id = uuid.uuid4()
    accepted = []
    for uploaded_file in files:
        try:
            accepted.append(
                services.analysis_job_create(
                    owner=owner,
                    session_key=session_key,
                    uploaded_file=uploaded_file,
                    kind=AnalysisJob.Kind.IMAGE,
                    batch_id=batch_id,
                )
            )
        except UploadRejected as rejection:
            messages.error(request, f"“{uploaded_file.name}” was not accepted: {rejection}")

    if not accepted:
        return redirect("studies:image_analyze")
    noun = "image" if len(accepted) == 1 else "images"
    messages.success(request, f"Analysing {len(accepted)} {noun}. Results appear below as they finish.")
    return redirect(reverse("studies:image_analyze") + f"?batch={batch_id}")


@require_GET
def job_list(request):
    jobs = selectors.analysis_job_list_for_viewer(**_viewer(request))
    page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for job in page.object_list:
        context = _job_context(job)
        rows.append({"job": job, "emotion_summary": context["emotion_summary"], "face_count": len(context["face_rows"])})
    return render(request, "studies/job_list.html", {"page": page, "rows": rows})


@require_GET
def job_detail(request, job_id):
    job = _get_job_or_404(request, job_id)
    context = _job_context(job)
    if request.GET.get("fragment") == "result":
        return render(request, "studies/_job_result.html", context)
    return render(request, "studies/job_detail.html", context)


@require_GET
def job_status(request, job_id):
    job = _get_job_or_404(request, job_id)
    return JsonResponse(_status_payload(job), headers={"Cache-Control": "no-store"})


@require_GET
def job_annotated_image(request, job_id):
    """Served through the viewer check so nobody reaches another person's image."""
    job = _get_job_or_404(request, job_id)
    if not job.annotated_file:
        raise Http404("This analysis has no annotated image yet.")
    return FileResponse(job.annotated_file.open("rb"))


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("studies:job_list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your analyses are now saved to your account.")
        return redirect("studies:job_list")
    return render(request, "registration/signup.html", {"form": form})
