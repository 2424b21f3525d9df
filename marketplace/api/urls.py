from django.urls import path

from marketplace.api import views

urlpatterns = [
    path("auth/signup/", views.SignupApi.as_view(), name="api-signup"),
    path("auth/token/", views.TokenObtainApi.as_view(), name="api-token"),
    path("auth/tokens/", views.TokenListApi.as_view(), name="api-token-list"),
    path("auth/tokens/<int:pk>/", views.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("invitations/", views.InvitationListCreateApi.as_view(), name="api-invitations"),
    path(
        "invitations/<int:pk>/", views.InvitationRevokeApi.as_view(), name="api-invitation-revoke"
    ),
    path("notifications/", views.NotificationListApi.as_view(), name="api-notifications"),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationReadApi.as_view(),
        name="api-notification-read",
    ),
    path(
        "notifications/read-all/",
        views.NotificationReadAllApi.as_view(),
        name="api-notifications-read-all",
    ),
]
