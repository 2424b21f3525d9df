from django.urls import path

from iot_gateway import views

app_name = "iot_gateway"

urlpatterns = [
    path("equipment/", views.device_list, name="device_list"),
    path("equipment/<int:pk>/", views.device_detail, name="device_detail"),
    path("equipment/<int:pk>/token/", views.device_token_rotate, name="device_token_rotate"),
    path("equipment/<int:pk>/revoke/", views.device_revoke, name="device_revoke"),
    path("equipment/alarms/", views.alarm_list, name="alarm_list"),
    path(
        "equipment/alarms/<int:pk>/acknowledge/", views.alarm_acknowledge, name="alarm_acknowledge"
    ),
    path("service-leads/", views.lead_list, name="lead_list"),
    path("service-leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("service-leads/<int:pk>/quote/", views.lead_quote, name="lead_quote"),
    path(
        "service-leads/<int:pk>/quotes/<int:quote_pk>/accept/",
        views.lead_quote_accept,
        name="lead_quote_accept",
    ),
    path("service-profile/", views.provider_profile, name="provider_profile"),
]
