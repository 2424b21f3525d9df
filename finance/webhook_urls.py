"""Provider webhooks, outside the API's versioned prefix and the pages' namespace."""

from django.urls import path

from finance.api.views import stripe_webhook

urlpatterns = [
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
]
