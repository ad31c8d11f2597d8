"""A person's own account: what it holds, its API token, changing its password, deleting it with all its data."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_POST

from studies import selectors, services
from studies.errors import InvalidInput
from studies.forms import AccountDeleteForm, ApiTokenForm

# The new API token waits here, server side, for the page the POST redirects to, which shows it once.
NEW_API_TOKEN_SESSION_KEY = "new_api_token"


def _account_page(request, *, delete_form=None, token_form=None, status=200):
    new_api_token = request.session.pop(NEW_API_TOKEN_SESSION_KEY, None)
    response = render(request, "registration/account.html", {
        "holdings": selectors.account_holdings(user=request.user),
        "delete_form": delete_form or AccountDeleteForm(), "token_form": token_form or ApiTokenForm(),
        "api_token_created": selectors.api_token_created(user=request.user), "new_api_token": new_api_token,
    }, status=status)
    if new_api_token:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def account(request):
    return _account_page(request)


@login_required
@require_POST
def account_delete(request):
    form = AccountDeleteForm(request.POST)
    if form.is_valid():
        try:
            services.account_delete(request.user, password=form.cleaned_data["password"])
        except InvalidInput as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            logout(request)
            messages.success(request, "Your account was deleted, with all its analyses, campaigns, viewers' "
                                      "data and files.")
            return redirect("studies:home")
    return _account_page(request, delete_form=form, status=400)


@login_required
@require_POST
def api_token_replace(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            key = services.api_token_replace(request.user, password=form.cleaned_data["password"])
        except InvalidInput as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            # Redirected, so reloading the page shows nothing more instead of making another token.
            request.session[NEW_API_TOKEN_SESSION_KEY] = key
            return redirect(reverse("studies:account") + "#api-token")
    return _account_page(request, token_form=form, status=400)


@login_required
@require_POST
def api_token_revoke(request):
    if services.api_token_revoke(request.user):
        messages.success(request, "Your API token was revoked: programs using it are refused from now on.")
    return redirect("studies:account")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (it keeps this browser signed in), back to the account page."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("studies:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever changes a password after losing it must not leave a token working behind it.
        if services.api_token_revoke(self.request.user):
            messages.success(self.request, "Your password was changed, and your API token revoked: make a new "
                                           "one for the programs that need it.")
        else:
            messages.success(self.request, "Your password was changed.")
        return response
