from django.urls import path

from finance import views

app_name = "finance"

urlpatterns = [
    path("finance/", views.statement, name="statement"),
    path("finance/statement.csv", views.statement_csv, name="statement_csv"),
    path("finance/orders/<int:pk>/pay/", views.order_pay, name="order_pay"),
    path("finance/payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("finance/payments/<int:pk>/cancel/", views.payment_cancel, name="payment_cancel"),
]
