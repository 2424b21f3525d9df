from django.urls import path

from iot_gateway.api import views

urlpatterns = [
    path("devices/", views.DeviceListCreateApi.as_view(), name="api-devices"),
    path("devices/<int:pk>/", views.DeviceDetailApi.as_view(), name="api-device"),
    path("devices/<int:pk>/token/", views.DeviceTokenRotateApi.as_view(), name="api-device-token"),
    path("devices/<int:pk>/revoke/", views.DeviceRevokeApi.as_view(), name="api-device-revoke"),
    path(
        "devices/<int:pk>/telemetry/",
        views.DeviceTelemetryApi.as_view(),
        name="api-device-telemetry",
    ),
    path("telemetry/", views.TelemetryApi.as_view(), name="api-telemetry"),
    path("alarms/", views.AlarmListApi.as_view(), name="api-alarms"),
    path(
        "alarms/<int:pk>/acknowledge/",
        views.AlarmAcknowledgeApi.as_view(),
        name="api-alarm-acknowledge",
    ),
    path("service-leads/", views.LeadListApi.as_view(), name="api-service-leads"),
    path("service-leads/<int:pk>/", views.LeadDetailApi.as_view(), name="api-service-lead"),
    path(
        "service-leads/<int:pk>/quote/", views.LeadQuoteApi.as_view(), name="api-service-lead-quote"
    ),
    path(
        "service-leads/<int:pk>/quotes/<int:quote_pk>/accept/",
        views.LeadQuoteAcceptApi.as_view(),
        name="api-service-lead-accept",
    ),
]
