from django.urls import path

from customization.api import views

urlpatterns = [
    path(
        "customizable-products/<int:pk>/",
        views.CustomizableProductDetailApi.as_view(),
        name="api-customizable-product",
    ),
    path(
        "customizable-products/<int:pk>/price/",
        views.CustomizableProductPriceApi.as_view(),
        name="api-customizable-product-price",
    ),
    path("designs/", views.DesignListCreateApi.as_view(), name="api-designs"),
    path("designs/<int:pk>/", views.DesignDetailApi.as_view(), name="api-design-detail"),
    path("campaigns/", views.CampaignListCreateApi.as_view(), name="api-campaigns"),
    path("campaigns/<int:pk>/", views.CampaignDetailApi.as_view(), name="api-campaign-detail"),
    path(
        "campaigns/<int:pk>/pledges/",
        views.CampaignPledgesApi.as_view(),
        name="api-campaign-pledges",
    ),
]
