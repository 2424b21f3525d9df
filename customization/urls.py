from django.urls import path

from customization import views

app_name = "customization"

urlpatterns = [
    path("configure/<int:pk>/", views.configurator, name="configurator"),
    path("configure/<int:pk>/preview/", views.configurator_preview, name="preview"),
    path("configure/<int:pk>/save/", views.design_save, name="design_save"),
    path("factory/massing/", views.massing, name="massing"),
    path("factory/massing/<str:day>/", views.batch_sheet, name="batch_sheet"),
    path("designs/", views.design_list, name="design_list"),
    path("designs/<int:pk>/", views.design_detail, name="design_detail"),
    path("designs/<int:pk>/campaign/", views.campaign_create, name="campaign_create"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
]
