"""Reads about a person's own account."""

from django.db.models import Sum

from studies.models import AnalysisJob, Campaign, RecordingPart, ViewerSession


def account_holdings(*, user) -> dict:
    """What the account holds, as its deletion would take it: counts of each kind of data."""
    return {
        "analyses": AnalysisJob.objects.filter(owner=user).count(),
        "campaigns": Campaign.objects.filter(owner=user).count(),
        "viewers": ViewerSession.objects.filter(campaign__owner=user).count(),
        "recording_bytes": RecordingPart.objects.filter(session__campaign__owner=user)
        .aggregate(total=Sum("size"))["total"] or 0,
    }
