"""Reads about a person's own account."""

from django.contrib.auth import get_user_model
from django.db.models import Sum
from rest_framework.authtoken.models import Token

from studies.models import AnalysisJob, Campaign, RecordingPart, ViewerSession


# Accounts whose password is public (the demo one): whatever lands in them, everyone who signs in sees.
SHARED_ACCOUNTS_GROUP = "Shared accounts (public password)"


def account_is_shared(user) -> bool:
    return bool(user is not None and user.is_authenticated
                and user.groups.filter(name=SHARED_ACCOUNTS_GROUP).exists())


def shared_account_open() -> bool:
    """Whether a shared account (the demo one) can be signed in to, so the sign-in page may offer it."""
    return get_user_model().objects.filter(is_active=True, groups__name=SHARED_ACCOUNTS_GROUP).exists()


def account_holdings(*, user) -> dict:
    """What the account holds, as its deletion would take it: counts of each kind of data."""
    return {
        "analyses": AnalysisJob.objects.filter(owner=user).count(),
        "campaigns": Campaign.objects.filter(owner=user).count(),
        "viewers": ViewerSession.objects.filter(campaign__owner=user).count(),
        "recording_bytes": RecordingPart.objects.filter(session__campaign__owner=user)
        .aggregate(total=Sum("size"))["total"] or 0,
    }


def api_token_created(*, user):
    """When the account's API token was made, or None when it has none (the key itself is shown once)."""
    return Token.objects.filter(user=user).values_list("created", flat=True).first()
