"""Django's password sign-in, refused outright for an address that failed too often
(services.sign_in_refusal). Every sign-in goes through here: the web page, the admin site and the
API's token endpoint."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from studies import services


class SignInLimitedBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if services.sign_in_refusal(request, username or kwargs.get(self._username_field())):
            raise PermissionDenied  # authenticate() stops here, checks no password and reports a failure
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
