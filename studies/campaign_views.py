"""Producer pages: campaigns, segments, invitations, viewers, the report and its exports.

Thin: each view reads the request (through a form), calls one service or
selector, and renders or redirects. Another producer's ids give 404, like ids
that do not exist.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inference.labels import EMOJI, EMOTIONS
from studies import presenters, report_exports, selectors, services
from studies.campaign_forms import CampaignEditForm, CampaignForm, InvitationForm, ReportFilterForm, SegmentForm
from studies.errors import InvalidInput
from studies.file_responses import streamed, video_file_response
from studies.models import Campaign, ViewerSession
from studies.report_filters import ReportFilters

VIEWERS_PER_PAGE = 25
# A report narrowed to fewer viewers than this says its figures are a hint.
SMALL_GROUP_VIEWERS = 10


def _campaign_or_404(request, campaign_id) -> Campaign:
    try:
        return selectors.campaign_get_for_owner(user=request.user, campaign_id=campaign_id)
    except Campaign.DoesNotExist:
        raise Http404("No such campaign, or it belongs to someone else.")


def _child_or_404(queryset, pk, noun: str):
    """One of the campaign's own segments, invitations or viewers."""
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise Http404(f"No such {noun}.")


def _add_service_error(form, error: InvalidInput) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
@require_GET
def campaign_list(request):
    campaigns = selectors.campaign_list_for_owner(user=request.user)
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    form = CampaignForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            campaign = services.campaign_create(owner=request.user, ad_video=data.pop("ad_video"), **data)
        except InvalidInput as error:
            _add_service_error(form, error)
        else:
            messages.success(request, "Campaign created. Now mark the ad's segments and invite viewers.")
            return redirect("studies:campaign_detail", campaign.id)
    return render(request, "campaigns/campaign_form.html", {"form": form})


def _detail_context(request, campaign, *, editing_segment=None, **forms):
    page = Paginator(selectors.viewer_sessions_listed(campaign), VIEWERS_PER_PAGE).get_page(
        request.GET.get("viewers"))
    invitations = [
        {"invitation": invitation,
         "url": request.build_absolute_uri(reverse("studies:viewer_consent", args=[invitation.token]))}
        for invitation in selectors.invitations_with_counts(campaign)
    ]
    segments = list(campaign.segments.all())
    return {
        "campaign": campaign,
        "segments": segments,
        "segments_data": [{"id": s.id, "name": s.name, "start_s": s.start_s, "end_s": s.end_s,
                           "expected": s.expected_emotions, "notes": s.notes} for s in segments],
        "invitations": invitations,
        "viewers": page,
        "edit_form": forms.get("edit_form") or CampaignEditForm(initial={
            "name": campaign.name, "brand": campaign.brand, "description": campaign.description,
            "status": campaign.status, "retention_days": campaign.retention_days}),
        "segment_form": forms.get("segment_form") or SegmentForm(),
        # a refused edit comes back still editing that segment, not as a new one
        "editing_segment": editing_segment,
        "invitation_form": forms.get("invitation_form") or InvitationForm(),
        "emotions": [(name, EMOJI[name]) for name in EMOTIONS],
    }


@login_required
@require_GET
def campaign_detail(request, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    return render(request, "campaigns/campaign_detail.html", _detail_context(request, campaign))


def _save_on_campaign_page(request, campaign, form, *, form_name: str, save, success: str, anchor: str = "",
                           editing_segment=None):
    """The campaign page's forms: save through a service, then back to the page (at `anchor`) with
    `success` (formatted with the form's values); invalid input shows the page again with the errors (400)."""
    if form.is_valid():
        try:
            save(dict(form.cleaned_data))
        except InvalidInput as error:
            _add_service_error(form, error)
            # also at the top: the page is long and comes back scrolled there, far from the form
            messages.error(request, error.message)
        else:
            messages.success(request, success.format(**form.cleaned_data))
            return redirect(reverse("studies:campaign_detail", args=[campaign.id]) + anchor)
    campaign.refresh_from_db()  # a refused save may have changed it in memory
    return render(request, "campaigns/campaign_detail.html",
                  _detail_context(request, campaign, editing_segment=editing_segment, **{form_name: form}), status=400)


@login_required
@require_POST
def campaign_edit(request, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)

    def save(data):
        services.campaign_update(campaign, ad_video=data.pop("ad_video"), **data)

    return _save_on_campaign_page(request, campaign, CampaignEditForm(request.POST, request.FILES),
                                  form_name="edit_form", save=save, success="Campaign saved.")


@login_required
@require_POST
def campaign_delete(request, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    services.campaign_delete(campaign)
    messages.success(request, f"“{campaign.name}” and all its viewers' data were deleted.")
    return redirect("studies:campaign_list")


@login_required
@require_POST
def segment_save(request, campaign_id, segment_id=None):
    campaign = _campaign_or_404(request, campaign_id)
    segment = None if segment_id is None else _child_or_404(campaign.segments, segment_id, "segment")

    def save(data):
        if segment is None:
            services.segment_create(campaign, **data)
        else:
            services.segment_update(segment, **data)

    return _save_on_campaign_page(request, campaign, SegmentForm(request.POST), form_name="segment_form", save=save,
                                  success="Segment “{name}” saved.", anchor="#segments", editing_segment=segment)


@login_required
@require_POST
def segment_delete(request, campaign_id, segment_id):
    campaign = _campaign_or_404(request, campaign_id)
    segment = _child_or_404(campaign.segments, segment_id, "segment")
    services.segment_delete(segment)
    messages.success(request, f"Segment “{segment.name}” deleted.")
    return redirect(reverse("studies:campaign_detail", args=[campaign.id]) + "#segments")


@login_required
@require_POST
def invitation_create(request, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    form = InvitationForm(request.POST)

    def save(data):
        services.invitation_create(campaign, label=data["label"], expires_at=form.expires_at(),
                                   max_viewers=data["max_viewers"])

    return _save_on_campaign_page(request, campaign, form, form_name="invitation_form", save=save,
                                  success="Invitation link created: share it with your viewers.",
                                  anchor="#invitations")


@login_required
@require_POST
def invitation_revoke(request, campaign_id, invitation_id):
    campaign = _campaign_or_404(request, campaign_id)
    services.invitation_revoke(_child_or_404(campaign.invitations, invitation_id, "invitation"))
    messages.success(request, "The invitation link no longer admits new viewers.")
    return redirect(reverse("studies:campaign_detail", args=[campaign.id]) + "#invitations")


def _viewer_or_404(campaign, session_id) -> ViewerSession:
    return _child_or_404(campaign.viewer_sessions.select_related("campaign"), session_id, "viewer")


@login_required
@require_GET
def viewer_detail(request, campaign_id, session_id):
    campaign = _campaign_or_404(request, campaign_id)
    session = _viewer_or_404(campaign, session_id)
    report = selectors.viewer_report(session) if session.holds_data else None
    tables = presenters.report_tables(report) if report else {}
    recordings = selectors.viewer_recording_parts(session) if report else []
    return render(request, "campaigns/viewer_detail.html",
                  {"campaign": campaign, "session": session, "report": report, "recordings": recordings, **tables})


@login_required
@require_http_methods(["GET", "HEAD"])
def campaign_ad_video(request, campaign_id):
    return video_file_response(request, _campaign_or_404(request, campaign_id).ad_video)


@login_required
@require_http_methods(["GET", "HEAD"])
def viewer_recording_part(request, campaign_id, session_id, part_id):
    session = _viewer_or_404(_campaign_or_404(request, campaign_id), session_id)
    part = _child_or_404(session.recording_parts, part_id, "recording")
    # only the bytes counted: a write that failed may have left more in the file
    return video_file_response(request, part.file, size=part.size)


@login_required
@require_POST
def viewer_delete(request, campaign_id, session_id):
    campaign = _campaign_or_404(request, campaign_id)
    session = _viewer_or_404(campaign, session_id)
    services.viewer_session_erase(session)
    messages.success(request, f"All data of {session.viewer_id} was deleted.")
    return redirect(reverse("studies:campaign_detail", args=[campaign.id]) + "#viewers")


@login_required
@require_GET
def campaign_report(request, campaign_id):
    campaign = _campaign_or_404(request, campaign_id)
    form = ReportFilterForm(request.GET or None)
    filters = form.report_filters()
    report = selectors.campaign_report(campaign, filters)
    others = selectors.campaign_list_for_owner(user=request.user).exclude(pk=campaign.pk).only("id", "name")
    return render(request, "campaigns/campaign_report.html", {
        "campaign": campaign, "report": report, "filters": form,
        "query": request.GET.urlencode(), "other_campaigns": others,
        "viewer_list": selectors.report_viewers(campaign, filters),
        "audience_rows": presenters.audience_rows(report, request.GET),
        "narrowed": filters.label(),
        "small_group": SMALL_GROUP_VIEWERS,
        "ad_url": reverse("studies:campaign_ad_video", args=[campaign.id]),
        "share_url": request.build_absolute_uri(reverse("studies:shared_report", args=[campaign.share_token]))
        if campaign.share_token else None,
        **presenters.report_tables(report),
    })


@login_required
@require_POST
def campaign_share(request, campaign_id):
    return _share_step(request, campaign_id, services.campaign_share,
                       "Read-only link made: whoever has it sees this report's averages as they are now, "
                       "never a single viewer.")


@login_required
@require_POST
def campaign_share_update(request, campaign_id):
    return _share_step(request, campaign_id, services.campaign_share_update,
                       "The shared report's figures are updated to today's viewers.")


@login_required
@require_POST
def campaign_unshare(request, campaign_id):
    return _share_step(request, campaign_id, services.campaign_unshare, "The read-only link no longer works.")


def _share_step(request, campaign_id, step, success: str):
    """Run one sharing service on the producer's campaign, then back to the report's share card."""
    campaign = _campaign_or_404(request, campaign_id)
    try:
        step(campaign)
    except InvalidInput as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, success)
    return redirect(reverse("studies:campaign_report", args=[campaign.id]) + "#share")


@login_required
@require_GET
def campaign_report_export(request, campaign_id, export_format):
    campaign = _campaign_or_404(request, campaign_id)
    filters = ReportFilterForm(request.GET or None).report_filters()
    if export_format == "samples.csv":  # the viewers' own rows, not the report's figures: read apart
        return samples_csv_response(request, campaign, filters)
    report = selectors.campaign_report(campaign, filters)
    stem = report_exports.file_stem(campaign, filters)
    if export_format == "json":
        response = JsonResponse(report, json_dumps_params={"indent": 1})
        response["Content-Disposition"] = f'attachment; filename="{stem}-report.json"'
        return response
    if export_format == "csv":
        return _download(report_exports.segments_csv(report), "text/csv; charset=utf-8", f"{stem}-segments.csv")
    if export_format == "curves.csv":
        return _download(report_exports.curves_csv(report), "text/csv; charset=utf-8", f"{stem}-curves.csv")
    if export_format == "png":  # opens in the browser; saved, it keeps the name that says which viewers
        response = HttpResponse(report_exports.chart_png(report), content_type="image/png")
        response["Content-Disposition"] = f'inline; filename="{stem}-chart.png"'
        return response
    raise Http404("Unknown export format.")


def _download(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def samples_csv_response(request, campaign: Campaign, filters: ReportFilters) -> StreamingHttpResponse:
    """The Samples CSV of the campaign's viewers that `filters` keep (the report page's and the API's
    download), sent a viewer at a time as the database gives them."""
    chunks = report_exports.samples_csv_chunks(selectors.campaign_samples(campaign, filters))
    response = StreamingHttpResponse(streamed(request, chunks, reads_database=True),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{report_exports.file_stem(campaign, filters)}-samples.csv")
    return response


@login_required
@require_GET
def campaigns_compare(request):
    campaigns = []
    for key in ("a", "b"):
        campaign_id = request.GET.get(key)
        if campaign_id:
            try:
                campaigns.append(_campaign_or_404(request, uuid.UUID(campaign_id)))
            except ValueError:
                raise Http404("No such campaign.")
    reports = [selectors.campaign_report(campaign) for campaign in campaigns]
    return render(request, "campaigns/campaign_compare.html", {
        "reports": reports,
        "choices": selectors.campaign_list_for_owner(user=request.user).only("id", "name"),
        "selected_a": request.GET.get("a", ""), "selected_b": request.GET.get("b", ""),
    })
