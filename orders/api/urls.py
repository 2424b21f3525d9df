from django.urls import path

from orders.api import views

urlpatterns = [
    path("rfqs/", views.RfqListCreateApi.as_view(), name="api-rfqs"),
    path("rfqs/<int:pk>/", views.RfqDetailApi.as_view(), name="api-rfq"),
    path("rfqs/<int:pk>/cancel/", views.RfqCancelApi.as_view(), name="api-rfq-cancel"),
    path("rfqs/<int:pk>/quotes/", views.RfqQuotesApi.as_view(), name="api-rfq-quotes"),
    path("rfqs/<int:pk>/messages/", views.RfqMessagesApi.as_view(), name="api-rfq-messages"),
    path("rfqs/<int:pk>/decline/", views.RfqDeclineApi.as_view(), name="api-rfq-decline"),
    path(
        "rfqs/<int:pk>/attachments/<int:attachment_pk>/",
        views.RfqAttachmentApi.as_view(),
        name="api-rfq-attachment",
    ),
    path("quotes/<int:pk>/", views.QuoteDetailApi.as_view(), name="api-quote"),
    path("quotes/<int:pk>/accept/", views.QuoteAcceptApi.as_view(), name="api-quote-accept"),
    path("quotes/<int:pk>/withdraw/", views.QuoteWithdrawApi.as_view(), name="api-quote-withdraw"),
    path("orders/", views.OrderListApi.as_view(), name="api-orders"),
    path("orders/<int:pk>/", views.OrderDetailApi.as_view(), name="api-order"),
    path(
        "orders/<int:pk>/transitions/",
        views.OrderTransitionApi.as_view(),
        name="api-order-transitions",
    ),
    path("orders/<int:pk>/events/", views.OrderEventsApi.as_view(), name="api-order-events"),
    path("orders/<int:pk>/messages/", views.OrderMessagesApi.as_view(), name="api-order-messages"),
    path("orders/<int:pk>/progress/", views.OrderProgressApi.as_view(), name="api-order-progress"),
    path(
        "orders/<int:pk>/progress/corrections/",
        views.OrderProgressCorrectionApi.as_view(),
        name="api-order-progress-corrections",
    ),
    path(
        "orders/<int:pk>/inspector/",
        views.OrderInspectorApi.as_view(),
        name="api-order-inspector",
    ),
    path("orders/<int:pk>/repeat/", views.OrderRepeatApi.as_view(), name="api-order-repeat"),
    path(
        "orders/<int:pk>/hold-extension/",
        views.OrderHoldExtensionApi.as_view(),
        name="api-order-hold-extension",
    ),
    path("orders/<int:pk>/review/", views.OrderReviewApi.as_view(), name="api-order-review"),
    path(
        "orders/<int:pk>/files/<str:kind>/<int:file_pk>/",
        views.OrderFileApi.as_view(),
        name="api-order-file",
    ),
    path("reviews/<int:pk>/reply/", views.ReviewReplyApi.as_view(), name="api-review-reply"),
]
