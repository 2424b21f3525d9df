"""The real URLs plus one deliberately slow idempotent endpoint, to catch a retry while the
first request is still running."""

import threading

from django.urls import include, path
from rest_framework.response import Response

from marketplace.api.base import OrganizationAPIView
from marketplace.api.idempotency import idempotent

slow_request_started = threading.Event()
slow_request_release = threading.Event()


class SlowCreateApi(OrganizationAPIView):
    @idempotent
    def post(self, request):
        slow_request_started.set()
        slow_request_release.wait(timeout=20)
        return Response({"created": True}, status=201)


urlpatterns = [
    path("test-only/slow-create/", SlowCreateApi.as_view()),
    path("", include("marketplace.urls")),
]
