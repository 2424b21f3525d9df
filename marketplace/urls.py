from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from marketplace import views

handler404 = "marketplace.views.page_not_found"
handler500 = "marketplace.views.server_error"
# Not a Django hook: django-allauth looks it up here for its rate-limited pages.
handler429 = "marketplace.views.too_many_requests"

admin.site.site_header = _("C2M Marketplace operations")
admin.site.site_title = _("C2M operations")
admin.site.index_title = _("Platform administration")
# Staff sign in through the same form as everyone, so the admin shares its lockout.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

# Equipment first: telemetry is the most frequent request by far, and every pattern tried
# before the one that matches costs it (tests/marketplace/test_urls_order.py checks that
# the order changes no route).
api_v1 = [
    path("", include("iot_gateway.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("customization.api.urls")),
    path("", include("factories.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("finance.api.urls")),
]

urlpatterns = [
    # The API first, for the same reason; no page route starts with "api/".
    path("api/v1/", include(api_v1)),
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("organization/switch/", views.organization_switch, name="organization_switch"),
    path("team/", views.team, name="team"),
    path("team/members/<int:pk>/role/", views.team_member_role, name="team_member_role"),
    path("team/members/<int:pk>/remove/", views.team_member_remove, name="team_member_remove"),
    path("team/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("account/tokens/", views.api_tokens, name="api_tokens"),
    path("account/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("account/notifications/", views.notification_settings, name="notification_settings"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("", include("orders.urls")),
    path("", include("finance.urls")),
    path("", include("finance.webhook_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("factories.urls")),
    path("", include("iot_gateway.urls")),
    path("", include("catalog.urls")),
    path("", include("customization.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.SERVE_MEDIA:
    # `static()` serves nothing when DEBUG is off, so the route is declared directly.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
