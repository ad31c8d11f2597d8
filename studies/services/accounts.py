"""Writes for a person's own account: its API token, and deleting it with everything it holds."""

import logging

from django.db import transaction
from rest_framework.authtoken.models import Token

from studies.errors import InvalidInput
from studies.services.viewing import lock_viewer_sessions

logger = logging.getLogger(__name__)


def account_delete(user, *, password: str) -> None:
    """Delete the account and all it holds: analyses, campaigns, their viewers' data and every file.

    The password is asked again, as a stolen session must not be enough. Files go once the
    deletion commits (studies.signals).
    """
    if not password or not user.check_password(password):
        raise InvalidInput("That is not your password; nothing was deleted.", "password")
    user_id = user.pk
    with transaction.atomic():
        # A viewer's recording chunk arriving now must not be stored after its session was collected.
        lock_viewer_sessions(campaign__owner=user)
        user.delete()
    logger.info("User %s deleted their account and its data.", user_id)


def api_token_replace(user) -> str:
    """A new API token for the account; the old one, if any, stops working. Returns the key."""
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
