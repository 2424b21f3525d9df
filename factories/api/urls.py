from django.urls import path

from factories.api import views

urlpatterns = [
    path("factories/", views.FactoryListApi.as_view(), name="api-factories"),
    path("factories/search/", views.FactorySearchApi.as_view(), name="api-factory-search"),
    path("factories/filters/", views.FactoryFiltersApi.as_view(), name="api-factory-filters"),
    path("factories/<int:pk>/", views.FactoryDetailApi.as_view(), name="api-factory"),
    path("favourite-factories/", views.FavouriteListApi.as_view(), name="api-favourites"),
    path(
        "favourite-factories/<int:factory_id>/",
        views.FavouriteDetailApi.as_view(),
        name="api-favourite",
    ),
    path("capacity/", views.CapacityApi.as_view(), name="api-capacity"),
    path("capacity/upload/", views.CapacityUploadApi.as_view(), name="api-capacity-upload"),
    path("capacity/reservations/", views.ReservationListApi.as_view(), name="api-reservations"),
    path("factory-profile/", views.OwnProfileApi.as_view(), name="api-factory-profile"),
    path("factory-profile/photos/", views.PhotoListApi.as_view(), name="api-factory-photos"),
    path(
        "factory-profile/photos/<int:pk>/",
        views.PhotoDetailApi.as_view(),
        name="api-factory-photo",
    ),
    path("factory-profile/lines/", views.LineListApi.as_view(), name="api-factory-lines"),
    path("factory-profile/lines/<int:pk>/", views.LineDetailApi.as_view(), name="api-factory-line"),
    path(
        "factory-profile/equipment/",
        views.EquipmentListApi.as_view(),
        name="api-factory-equipment-list",
    ),
    path(
        "factory-profile/equipment/<int:pk>/",
        views.EquipmentDetailApi.as_view(),
        name="api-factory-equipment",
    ),
    path(
        "factory-profile/certifications/",
        views.CertificationListApi.as_view(),
        name="api-factory-certifications",
    ),
    path(
        "factory-profile/certifications/<int:pk>/",
        views.CertificationDetailApi.as_view(),
        name="api-factory-certification",
    ),
    path("factory-profile/audits/", views.AuditListApi.as_view(), name="api-factory-audits"),
]
