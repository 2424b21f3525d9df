from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("rfqs/", views.rfq_list, name="rfq_list"),
    path("rfqs/new/", views.rfq_create, name="rfq_create"),
    path("rfqs/<int:pk>/", views.rfq_detail, name="rfq_detail"),
    path("rfqs/<int:pk>/cancel/", views.rfq_cancel, name="rfq_cancel"),
    path("rfqs/<int:pk>/quote/", views.quote_save, name="quote_save"),
    path("rfqs/<int:pk>/messages/", views.rfq_message, name="rfq_message"),
    path("rfqs/<int:pk>/decline/", views.rfq_decline, name="rfq_decline"),
    path("messages/", views.conversations, name="conversations"),
    path(
        "rfqs/<int:pk>/attachments/<int:attachment_pk>/",
        views.rfq_attachment,
        name="rfq_attachment",
    ),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/withdraw/", views.quote_withdraw, name="quote_withdraw"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/transition/", views.order_transition, name="order_transition"),
    path("orders/<int:pk>/progress/", views.order_progress, name="order_progress"),
    path(
        "orders/<int:pk>/progress/corrections/",
        views.order_progress_correct,
        name="order_progress_correct",
    ),
    path("orders/<int:pk>/inspector/", views.order_inspector, name="order_inspector"),
    path("orders/<int:pk>/messages/", views.order_message, name="order_message"),
    path("orders/<int:pk>/repeat/", views.order_repeat, name="order_repeat"),
    path("orders/<int:pk>/hold-extension/", views.order_hold_extend, name="order_hold_extend"),
    path("orders/<int:pk>/review/", views.order_review, name="order_review"),
    path("orders/<int:pk>/files/<str:kind>/<int:file_pk>/", views.order_file, name="order_file"),
    path("reviews/<int:pk>/reply/", views.review_reply, name="review_reply"),
]
