"""The real URLs plus an API view and a page that raise each domain error, to check that each
interface maps them once (marketplace.api.errors, marketplace.pages)."""

from django.http import HttpResponse
from django.urls import include, path

from marketplace import exceptions as domain
from marketplace.api.base import OrganizationAPIView

ERRORS = {
    "not-found": domain.NotFoundError("No such thing."),
    "forbidden": domain.ForbiddenError("Not for your role."),
    "conflict": domain.ConflictError("Already shipped."),
    "invalid": domain.InvalidError({"quantity": ["Too many."]}),
}


class RaisingApi(OrganizationAPIView):
    def post(self, request, kind):
        raise ERRORS[kind]


def raising_page(request, kind):
    if request.method == "POST":
        raise ERRORS[kind]
    return HttpResponse("the page")


urlpatterns = [
    path("api/v1/test-only/raise/<str:kind>/", RaisingApi.as_view()),
    path("test-only/raise/<str:kind>/", raising_page),
    path("", include("marketplace.urls")),
]
