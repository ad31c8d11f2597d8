"""A campaign report shared by a read-only link: the averages across viewers, frozen when the link
was made or updated, and the ad, for people without an account (the brand, the agency). No viewer,
sample or recording is reachable from it (studies.reports.shared_figures)."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from studies import presenters, selectors
from studies.file_responses import video_file_response
from studies.models import Campaign


def _shared_campaign_or_404(token: str) -> Campaign:
    try:
        return selectors.campaign_get_by_share_token(token)
    except Campaign.DoesNotExist:
        raise Http404("This link does not work (any more): ask whoever sent it for a new one.") from None


def _private(response):
    # The link is the only key: keep it out of search engines, other sites' Referer headers and
    # caches that would outlive "Stop sharing".
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store, private"
    return response


@require_safe
def shared_report(request, token):
    campaign = _shared_campaign_or_404(token)
    figures = (campaign.share_snapshot or {}).get("figures")
    if figures is None:
        # Taken down because a viewer in it left (studies.services.viewing._leave_shared_figures): a
        # temporary state, so 503, and a page that says so rather than "not found".
        return _private(render(request, "campaigns/shared_report_paused.html", {"campaign": campaign}, status=503))
    return _private(render(request, "campaigns/campaign_report.html", {
        "campaign": campaign, "report": figures, "shared": True,
        "ad_url": reverse("studies:shared_ad_video", args=[token]),
        **presenters.report_tables(figures),
    }))


@require_safe
def shared_ad_video(request, token):
    return _private(video_file_response(request, _shared_campaign_or_404(token).ad_video))
