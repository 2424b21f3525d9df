from django.urls import path

from finance.api import views

urlpatterns = [
    path("orders/<int:pk>/payments/", views.OrderPaymentsApi.as_view(), name="api-order-payments"),
    path("orders/<int:pk>/advances/", views.OrderAdvanceApi.as_view(), name="api-order-advances"),
    path("balances/", views.BalancesApi.as_view(), name="api-balances"),
    path("credit-line/", views.CreditLineApi.as_view(), name="api-credit-line"),
]
