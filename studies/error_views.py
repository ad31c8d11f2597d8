"""The 400 page, which says which limit a request broke when Django refused it before a view could.

The other error pages need no view: Django renders templates/404.html, 403.html, 403_csrf.html
and 500.html itself.
"""

from django.http import HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from studies.api.errors import error_body
from studies.errors import request_refusal_reason


@requires_csrf_token
def bad_request(request, exception):
    reason = request_refusal_reason(exception)
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(reason or "The request could not be read."), status=400)
    return HttpResponseBadRequest(loader.render_to_string("400.html", {"reason": reason}, request))
