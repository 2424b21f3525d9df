"""A buyer's favourite factories: list, add, remove (rows of the buyer organization)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from factories import selectors, services
from factories.api.serializers import FactoryOutputSerializer
from marketplace.api.base import OrganizationAPIView
from marketplace.exceptions import NotFoundError
from marketplace.models import Organization


class _BuyerAPIView(OrganizationAPIView):
    allowed_organization_kinds = (Organization.Kind.BUYER,)


def _audited_factory(pk: int) -> Organization:
    return selectors.factory_visible_get(pk=pk, viewer=None).organization


class FavouriteListApi(_BuyerAPIView):
    class InputSerializer(serializers.Serializer):
        factory = serializers.IntegerField(min_value=1, help_text="the factory's id")

        def validate_factory(self, value: int) -> Organization:
            try:
                return _audited_factory(value)
            except NotFoundError as error:
                raise serializers.ValidationError(_("Choose an audited factory.")) from error

    @extend_schema(responses={200: FactoryOutputSerializer(many=True)})
    def get(self, request):
        profiles = selectors.favourite_profiles(organization=self.organization)
        page = self.paginate_queryset(profiles)
        return self.get_paginated_response(FactoryOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: FactoryOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        factory = data.validated_data["factory"]
        services.favourite_add(
            organization=self.organization, factory=factory, acting_user=request.user
        )
        profile = selectors.factory_visible_get(pk=factory.pk, viewer=None)
        return Response(FactoryOutputSerializer(profile).data, status=status.HTTP_201_CREATED)


class FavouriteDetailApi(_BuyerAPIView):
    @extend_schema(responses={204: None})
    def delete(self, request, factory_id: int):
        factory = Organization.objects.filter(pk=factory_id, kind=Organization.Kind.FACTORY).first()
        if factory is None or not services.favourite_remove(
            organization=self.organization, factory=factory
        ):
            raise NotFoundError(_("Not found."))
        return Response(status=status.HTTP_204_NO_CONTENT)
