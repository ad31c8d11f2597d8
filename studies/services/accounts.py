"""Writes for a person's own account: its API token, and deleting it with everything it holds."""

import logging

from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from studies.errors import InvalidInput
from studies.rate_limits import RateLimit, client_address
from studies.selectors.accounts import SHARED_ACCOUNTS_GROUP
from studies.models import AnalysisJob, Campaign
from studies.services.analysis_jobs import live_recordings_fail_stale
from studies.services.viewing import lock_viewer_sessions

logger = logging.getLogger(__name__)


# Password guessing: after this many failed sign-ins for one account from one address, or from one
# address for any accounts, sign-ins from there are refused until the window has passed (people who
# forgot their password get ten tries; a guesser gets ten per quarter hour instead of thousands).
SIGN_INS_FAILED_PER_ACCOUNT = RateLimit("sign-in-account", limit=10, window_s=15 * 60)
SIGN_INS_FAILED_PER_ADDRESS = RateLimit("sign-in-address", limit=50, window_s=15 * 60)
SIGN_IN_REFUSED_MESSAGE = "Too many failed sign-ins from your network address: wait 15 minutes, then try again."


def _account_key(username) -> str:
    # whatever a client sent as the name (an API body may hold a number or a list)
    return username.strip().lower() if isinstance(username, str) else ""


def sign_in_refusal(request, username) -> str | None:
    """Why a sign-in from this request is refused before its password is even checked, or None."""
    address = client_address(request)
    if SIGN_INS_FAILED_PER_ACCOUNT.exceeded(_account_key(username), address) \
            or SIGN_INS_FAILED_PER_ADDRESS.exceeded(address):
        return SIGN_IN_REFUSED_MESSAGE
    return None


def sign_in_failed(request, username) -> None:
    address = client_address(request)
    SIGN_INS_FAILED_PER_ACCOUNT.record(_account_key(username), address)
    SIGN_INS_FAILED_PER_ADDRESS.record(address)


def sign_in_succeeded(request, username: str) -> None:
    """The account's own count starts over; the address's does not (a guesser may own one account)."""
    SIGN_INS_FAILED_PER_ACCOUNT.reset(_account_key(username), client_address(request))


def account_mark_shared(user, shared: bool = True) -> None:
    """The account's password is published (or, `shared` False, no longer is): nothing private is moved
    into it (analyses made before signing in stay with the browser) and its studies keep no webcam
    recordings."""
    group, _ = Group.objects.get_or_create(name=SHARED_ACCOUNTS_GROUP)
    if shared:
        user.groups.add(group)
    else:
        user.groups.remove(group)


def account_delete(user, *, password: str) -> None:
    """Delete the account and all it holds: analyses, campaigns, their viewers' data and every file.

    The password is asked again, as a stolen session must not be enough. Files go once the
    deletion commits (studies.signals).
    """
    _check_password(user, password, "nothing was deleted")
    live_recordings_fail_stale()
    user_id = user.pk
    with transaction.atomic():
        # The campaigns first: a viewer joining now waits, then finds the campaign gone. Then the
        # sessions: a recording chunk arriving now must not be stored after its session was collected.
        list(Campaign.objects.select_for_update().filter(owner=user).order_by("pk").values_list("pk", flat=True))
        lock_viewer_sessions(campaign__owner=user)
        if AnalysisJob.objects.filter(owner=user, kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING).exists():
            raise InvalidInput("A live camera recording of yours is running: stop it on the live camera page "
                               "first; nothing was deleted.")
        user.delete()
    logger.info("User %s deleted their account and its data.", user_id)


def _check_password(user, password: str, consequence: str) -> None:
    if not password or not user.check_password(password):
        raise InvalidInput(f"That is not your password; {consequence}.", "password")


def api_token_replace(user, *, password: str) -> str:
    """A new API token for the account; the old one, if any, stops working. Returns the key.

    The password is asked: a token outlives a password change otherwise, so a stolen session
    could keep API access for good.
    """
    _check_password(user, password, "no token was made")
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
    logger.info("User %s replaced their API token.", user.pk)
    return token.key


def api_token_revoke(user) -> bool:
    """The account's API token stops working; False when there was none."""
    revoked, _ = Token.objects.filter(user=user).delete()
    if revoked:
        logger.info("User %s revoked their API token.", user.pk)
    return bool(revoked)
