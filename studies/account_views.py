"""A person's own account: what it holds, its API token, changing its password, deleting it with all its data."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_POST

from studies import selectors, services
from studies.errors import InvalidInput
from studies.forms import AccountDeleteForm


def _account_page(request, delete_form, *, status=200, new_api_token=None):
    return render(request, "registration/account.html", {
        "holdings": selectors.account_holdings(user=request.user), "delete_form": delete_form,
        "api_token_created": selectors.api_token_created(user=request.user), "new_api_token": new_api_token,
    }, status=status)


@login_required
@require_GET
def account(request):
    return _account_page(request, AccountDeleteForm())


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
    return _account_page(request, form, status=400)


@login_required
@require_POST
def api_token_replace(request):
    # Shown on this one answer only, never cached: no later page, message or cookie holds it.
    response = _account_page(request, AccountDeleteForm(), new_api_token=services.api_token_replace(request.user))
    response["Cache-Control"] = "no-store"
    return response


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
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)
