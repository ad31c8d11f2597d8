"""The viewer's journey, no account needed: invitation -> consent -> camera check -> the ad -> thanks.

Each step after consent works only in the browser that gave it (studies.viewer_access).
The webcam frames go over the /ws/viewer/<id>/ WebSocket (ViewerCaptureConsumer);
these views render pages, record the consent, and take withdrawal and recordings.
"""

import uuid

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studies import selectors, services, viewer_access
from studies.campaign_forms import ConsentForm
from studies.consent import CONSENT_VERSION
from studies.errors import InvalidInput, ParticipationRefused, RecordingGap, TooManyAttempts
from studies.file_responses import video_file_response
from studies.models import ViewerSession
from studies.rate_limits import client_address

# The viewer page sends at most this many frames a second: 10 samples a second per viewer.
VIEWER_FRAMES_PER_S = 10


def _own_session_or_404(request, session_id) -> ViewerSession:
    session = selectors.viewer_session_for_capture(session_id) if viewer_access.is_allowed(request.session, session_id) else None
    if session is None:
        raise Http404("This study session is not open in this browser. Use the invitation link you were sent.")
    return session


def _closed(request, message: str, status: int = 410):
    return render(request, "viewing/closed.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def viewer_consent(request, token):
    invitation = selectors.invitation_get_by_token(token)
    try:
        services.invitation_check(invitation)
    except ParticipationRefused as refusal:
        return _closed(request, refusal.message, status=404 if invitation is None else 410)
    if request.method == "POST" and "decline" in request.POST:
        # only the explicit "No thanks" declines, whatever else the form holds
        return render(request, "viewing/declined.html", {"campaign": invitation.campaign})
    form = ConsentForm(request.POST or None, recording_offered=services.recording_offered(invitation.campaign))
    if request.method == "POST" and form.is_valid():
        consent = services.Consent(analyse_webcam=True, keep_recording=form.cleaned_data.get("keep_recording", False),
                                   age_band=form.cleaned_data["age_band"], gender=form.cleaned_data["gender"],
                                   guardian_agrees=form.cleaned_data["guardian_agrees"])
        try:
            session = services.viewer_session_start(invitation_token=token, consent=consent,
                                                     user_agent=request.headers.get("User-Agent", ""),
                                                     client_address=client_address(request))
        except TooManyAttempts as refusal:
            response = _closed(request, refusal.message, status=429)
            response["Retry-After"] = str(refusal.retry_after_s)
            return response
        except ParticipationRefused as refusal:
            return _closed(request, refusal.message)
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            viewer_access.remember(request, session)
            return redirect("studies:viewer_check", session.id)
    return render(request, "viewing/consent.html", {
        "campaign": invitation.campaign, "form": form, "consent_version": CONSENT_VERSION,
    })


def _capture_page(request, session_id, template, *, with_resume_point=False):
    session = _own_session_or_404(request, session_id)
    if session.status == ViewerSession.Status.WITHDRAWN:
        return _closed(request, "You withdrew from this study; nothing more is recorded.")
    if session.status != ViewerSession.Status.IN_PROGRESS:
        return redirect("studies:viewer_thanks", session.id)
    context = {"session": session, "campaign": session.campaign, "max_fps": VIEWER_FRAMES_PER_S,
               "ws_path": f"/ws/viewer/{session.id}/"}
    if with_resume_point:
        # the ad plays once: a viewer who comes back (from the withdraw page, a reload) continues where it got to
        context["resume_ms"] = selectors.viewer_session_furthest_ms(session) or 0
    return render(request, template, context)


# never_cache: "Go back" from the withdraw page would otherwise show the browser's cached copy,
# which knows neither where the ad got to nor whether the session is still open
@require_GET
@never_cache
def viewer_check(request, session_id):
    return _capture_page(request, session_id, "viewing/check.html")


@require_GET
@never_cache
def viewer_watch(request, session_id):
    return _capture_page(request, session_id, "viewing/watch.html", with_resume_point=True)


@require_http_methods(["GET", "HEAD"])
def viewer_ad_video(request, session_id):
    session = _own_session_or_404(request, session_id)
    return video_file_response(request, session.campaign.ad_video)


@require_POST
def viewer_finish(request, session_id):
    """The page's fallback when its WebSocket is gone at the end of the ad."""
    session = _own_session_or_404(request, session_id)
    try:
        services.viewer_session_finish(session)
    except ParticipationRefused as refusal:  # erased by the producer since the page loaded
        return _closed(request, refusal.message)
    return redirect("studies:viewer_thanks", session.id)


@require_GET
def viewer_thanks(request, session_id):
    session = _own_session_or_404(request, session_id)
    return render(request, "viewing/thanks.html", {"session": session, "campaign": session.campaign})


@require_http_methods(["GET", "POST"])
def viewer_withdraw(request, session_id):
    session = _own_session_or_404(request, session_id)
    if request.method == "POST":
        services.viewer_session_withdraw(session)
        return render(request, "viewing/withdrawn.html", {"campaign": session.campaign})
    return render(request, "viewing/withdraw.html", {"session": session, "campaign": session.campaign})


@require_POST
def viewer_recording(request, session_id):
    """The next chunk of one part of the viewer's webcam video: multipart fields `recording` (the bytes),
    `part` (a UUID the page picks per part), `offset` (bytes of the part sent before) and `start_ms`."""
    session = _own_session_or_404(request, session_id)
    try:
        chunk = services.RecordingChunk(
            part_id=uuid.UUID(request.POST.get("part", "")), offset=int(request.POST.get("offset", "")),
            starts_at_ms=int(request.POST.get("start_ms", "")), data=request.FILES["recording"])
    except (ValueError, KeyError):
        return JsonResponse({"detail": "Send the multipart fields 'recording' (a file), 'part' (a UUID), "
                                       "'offset' and 'start_ms' (whole numbers)."}, status=400)
    try:
        part = services.viewer_recording_append(session, chunk)
    except RecordingGap as gap:
        return JsonResponse({"detail": gap.message, "stored": gap.stored}, status=409)
    except (ParticipationRefused, InvalidInput) as error:
        return JsonResponse({"detail": error.message}, status=403 if isinstance(error, ParticipationRefused) else 400)
    return JsonResponse({"part": str(part.id), "stored": part.size})
