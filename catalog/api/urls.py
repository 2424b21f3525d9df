from django.urls import path

from catalog.api import views

urlpatterns = [
    path("categories/", views.CategoryListApi.as_view(), name="api-categories"),
    path("products/", views.ProductListApi.as_view(), name="api-products"),
    path("products/<int:pk>/", views.ProductDetailApi.as_view(), name="api-product-detail"),
    path("solutions/", views.SolutionListApi.as_view(), name="api-solutions"),
]
