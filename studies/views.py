"""Web pages: home, image and video upload, live camera, job result, list and deletion, sign-up and log-in.

Views stay thin: they read the request, call one service or selector, and shape
what the templates show. Result pages are rendered by one template whether the
job finished before the page loaded or while it was open (the page then fetches
the same fragment), so there is a single way results look. Files and batches
are served from `file_views.py`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inference.labels import EMOJI, EMOTIONS
from studies import presenters, selectors, services
from studies.errors import InvalidInput
from studies.forms import ImageUploadForm, SignInForm, SignupForm, VideoUploadForm
from studies.models import AnalysisJob

JOBS_PER_PAGE = 20

UPLOAD_PAGES = {
    "image_analyze": {"form": ImageUploadForm, "template": "studies/image_analyze.html", "noun": "image"},
    "video_analyze": {"form": VideoUploadForm, "template": "studies/video_analyze.html", "noun": "video"},
}


def viewer_of(request):
    return {"user": request.user, "session_key": request.session.session_key}


def _owner_session_key(request):
    """Anonymous uploads are owned by the session, so make sure one exists."""
    if request.user.is_authenticated:
        return None
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def get_job_or_404(request, job_id):
    try:
        return selectors.analysis_job_get_for_viewer(job_id=job_id, **viewer_of(request))
    except AnalysisJob.DoesNotExist:
        raise Http404("No such analysis, or it belongs to someone else.")


def _status_payload(job):
    payload = {
        "id": str(job.id),
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "progress_detail": job.progress_detail or {},
        "original_filename": job.original_filename,
        "error_message": job.error_message or "",
        "detail_url": reverse("studies:job_detail", args=[job.id]),
        "result_html_url": None,
        "annotated_image_url": None,
        "annotated_video_url": None,
        "face_count": None,
    }
    if job.is_finished:
        payload["result_html_url"] = reverse("studies:job_detail", args=[job.id]) + "?fragment=result"
    if job.status == AnalysisJob.Status.SUCCEEDED:
        payload["face_count"] = job.face_count
        if job.annotated_file and job.is_video:
            payload["annotated_video_url"] = reverse("studies:job_annotated_video", args=[job.id])
        elif job.annotated_file:
            payload["annotated_image_url"] = reverse("studies:job_annotated_image", args=[job.id])
    return payload


@require_GET
def home(request):
    return render(request, "studies/home.html", {"emotions": [(name, EMOJI[name]) for name in EMOTIONS]})


@require_GET
def live_camera(request):
    """The real-time camera page; the frames go over the /ws/live/ WebSocket, never to disk."""
    if settings.FER_LIVE_REQUIRE_LOGIN and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    _owner_session_key(request)  # a recording made anonymously belongs to this browser session
    return render(request, "studies/live_camera.html", {
        "max_fps": settings.FER_LIVE_MAX_FPS,
        "max_recording_minutes": settings.FER_LIVE_MAX_RECORDING_SECONDS // 60,
        "emotions": [{"name": name, "emoji": EMOJI[name]} for name in EMOTIONS],
    })


@require_http_methods(["GET", "POST"])
def image_analyze(request):
    return _upload_page(request, "image_analyze")


@require_http_methods(["GET", "POST"])
def video_analyze(request):
    return _upload_page(request, "video_analyze")


def _upload_page(request, page_name):
    page = UPLOAD_PAGES[page_name]
    if request.method == "POST":
        form = page["form"](request.POST, request.FILES)
        if form.is_valid():
            return _create_jobs(request, form.cleaned_data["files"], page_name)
    else:
        form = page["form"]()

    batch_jobs, batch_id = [], request.GET.get("batch")
    if batch_id:
        try:
            batch_jobs = [presenters.job_context(job) for job in
                          selectors.analysis_job_list_for_batch(batch_id=batch_id, **viewer_of(request))]
        except AnalysisJob.DoesNotExist:  # deleted since, or someone else's: the bare upload page
            pass
    context = {"form": form, "batch_jobs": batch_jobs, "batch_id": batch_id if batch_jobs else None,
               "max_files": settings.FER_MAX_BATCH_FILES}
    return render(request, page["template"], context)


def _create_jobs(request, files, page_name):
    batch = services.analysis_jobs_create_batch(
        owner=request.user if request.user.is_authenticated else None,
        session_key=_owner_session_key(request),
        uploaded_files=files,
    )
    for name, message in batch.rejections:
        messages.error(request, f"“{name}” was not accepted: {message}")
    if not batch.jobs:
        return redirect(f"studies:{page_name}")
    count = len(batch.jobs)
    kinds = {job.kind for job in batch.jobs}
    noun = kinds.pop() if len(kinds) == 1 else "file"
    noun = noun if count == 1 else f"{noun}s"
    messages.success(request, f"Analysing {count} {noun}. Results appear below as they finish.",
                     extra_tags="upload-started-note")  # job-progress.js rewrites it once all have finished
    return redirect(reverse(f"studies:{page_name}") + f"?batch={batch.batch_id}")


@require_GET
def job_list(request):
    jobs = selectors.analysis_job_list_for_viewer(**viewer_of(request))
    page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"job": job, "emotion_summary": presenters.job_summary(job), "face_count": job.face_count}
            for job in page.object_list]
    return render(request, "studies/job_list.html", {"page": page, "rows": rows,
                                                     "account_is_shared": selectors.account_is_shared(request.user)})


@require_GET
def job_detail(request, job_id):
    job = get_job_or_404(request, job_id)
    context = presenters.job_context(job)
    if request.GET.get("fragment") == "result":
        return render(request, "studies/_job_result.html", context)
    # a file uploaded on its own is a batch of one, whose overview would only repeat this page
    context["in_a_batch"] = bool(job.batch_id) and selectors.analysis_job_list_for_viewer(
        **viewer_of(request)).filter(batch_id=job.batch_id).count() > 1
    return render(request, "studies/job_detail.html", context)


@require_POST
def job_delete(request, job_id):
    job = get_job_or_404(request, job_id)
    try:
        services.analysis_jobs_delete([job])
    except InvalidInput as refusal:
        messages.error(request, refusal.message)
        return redirect("studies:job_detail", job.id)
    messages.success(request, f"“{job.original_filename}” was deleted, with its upload and results.")
    return redirect("studies:job_list")


@require_GET
def job_status(request, job_id):
    job = get_job_or_404(request, job_id)
    return JsonResponse(_status_payload(job), headers={"Cache-Control": "no-store"})


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("studies:job_list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # Before login(), which ends the anonymous session: the daily clearing deletes the
        # analyses of ended sessions, and must not find these between the two.
        services.analysis_jobs_claim_for_user(user=user, session_key=request.session.session_key)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your analyses are now saved to your account.")
        return redirect("studies:job_list")
    return render(request, "registration/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Django's log-in, keeping what the visitor analysed before signing in.

    Logging in gives the browser's session a new key, so its analyses move to the account first;
    in a shared account (the demo one) they stay the browser's instead, following its new key.
    """

    authentication_form = SignInForm
    redirect_authenticated_user = True
    next_page = "studies:job_list"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "demo_account_open": selectors.shared_account_open()}

    def form_valid(self, form):
        user = form.get_user()
        anonymous_key = self.request.session.session_key
        services.analysis_jobs_claim_for_user(user=user, session_key=anonymous_key)
        response = super().form_valid(form)
        if selectors.account_is_shared(user):
            services.analysis_jobs_follow_session(old_key=anonymous_key, new_key=self.request.session.session_key)
            messages.warning(self.request, "This is a shared demo account: everyone who signs in to it sees what "
                                           "is uploaded here. What you analysed before signing in stays yours, "
                                           "not the account's: it is back when you sign out.")
        return response


class LogoutView(auth_views.LogoutView):
    """Django's sign-out; leaving a shared account, the browser's own analyses (LoginView) come along."""

    next_page = "studies:home"

    def post(self, request, *args, **kwargs):
        shared, signed_in_key = selectors.account_is_shared(request.user), request.session.session_key
        response = super().post(request, *args, **kwargs)
        if shared:
            request.session.save()  # the new anonymous session needs its key now
            services.analysis_jobs_follow_session(old_key=signed_in_key, new_key=request.session.session_key)
        return response
