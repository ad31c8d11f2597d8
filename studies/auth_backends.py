"""A gate in front of Django's password sign-in: an address that failed too often is refused
before any password is checked (services.sign_in_refusal). Every sign-in passes it: the web page,
the admin site and the API's token endpoint, synchronous or not (BaseBackend.aauthenticate calls
authenticate).

It checks no password itself and signs nobody in: ModelBackend, next in AUTHENTICATION_BACKENDS,
does, so sessions keep naming ModelBackend, as those made before this gate existed do.
"""

from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.core.exceptions import PermissionDenied

from studies import services


class SignInLimitGate(BaseBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if services.sign_in_refusal(request, username):
            raise PermissionDenied  # authenticate() stops here, tries no other backend, reports a failure
        return None  # on to ModelBackend

    def get_user(self, user_id):
        # a session recording this backend (force_login picks the first one, as tests do) is ModelBackend's
        return ModelBackend().get_user(user_id)
