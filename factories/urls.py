from django.urls import path

from factories import views

app_name = "factories"

urlpatterns = [
    path("factories/", views.directory, name="directory"),
    path("factories/search/", views.search, name="search"),
    path("factories/<int:pk>/", views.showcase, name="showcase"),
    path("factories/<int:pk>/favourite/", views.favourite_toggle, name="favourite_toggle"),
    path("favourites/", views.favourites, name="favourites"),
    path("factory/profile/", views.profile_edit, name="profile_edit"),
    path("factory/profile/photos/", views.photo_add, name="photo_add"),
    path("factory/profile/photos/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    path("factory/profile/<str:kind>/", views.item_add, name="item_add"),
    path("factory/profile/<str:kind>/<int:pk>/delete/", views.item_delete, name="item_delete"),
    path("factory/audit/", views.audit, name="audit"),
    path(
        "factory/audit/evidence/<int:pk>/",
        views.audit_evidence_download,
        name="audit_evidence_download",
    ),
    path("factory/capacity/", views.capacity, name="capacity"),
]
