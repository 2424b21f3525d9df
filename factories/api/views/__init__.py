"""Factories API, one module per section; every view parses input, resolves tenant-scoped
objects and calls one service."""

from factories.api.views.audit import AuditListApi
from factories.api.views.capacity import CapacityApi, CapacityUploadApi
from factories.api.views.favourites import FavouriteDetailApi, FavouriteListApi
from factories.api.views.profile import (
    CertificationDetailApi,
    CertificationListApi,
    EquipmentDetailApi,
    EquipmentListApi,
    FactoryDetailApi,
    FactoryListApi,
    LineDetailApi,
    LineListApi,
    OwnProfileApi,
    PhotoDetailApi,
    PhotoListApi,
)
from factories.api.views.reservations import ReservationListApi
from factories.api.views.search import FactoryFiltersApi, FactorySearchApi

__all__ = [
    "AuditListApi",
    "CapacityApi",
    "CapacityUploadApi",
    "CertificationDetailApi",
    "CertificationListApi",
    "EquipmentDetailApi",
    "EquipmentListApi",
    "FactoryDetailApi",
    "FactoryFiltersApi",
    "FactoryListApi",
    "FactorySearchApi",
    "FavouriteDetailApi",
    "FavouriteListApi",
    "LineDetailApi",
    "LineListApi",
    "OwnProfileApi",
    "PhotoDetailApi",
    "PhotoListApi",
    "ReservationListApi",
]
