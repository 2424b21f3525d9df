"""`PlainReadMixin` (the hot lists' serializers) answers exactly what DRF's own
`Serializer.to_representation` answers, special cases included."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from marketplace.api.serializers import OrganizationRefSerializer, PlainReadMixin
from orders import selectors, services
from orders.api.serializers import (
    EventOutputSerializer,
    OrderOutputSerializer,
    OrderSummarySerializer,
    ProgressEntrySerializer,
    ProgressPointSerializer,
)
from orders.models import OrderStatus
from tests.helpers import make_user
from tests.orders.conftest import drive, make_category, make_deal

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def drf(serializer, instance):
    """What DRF's stock implementation gives for the same serializer and instance."""
    return serializers.Serializer.to_representation(serializer, instance)


def test_order_serializers_answer_what_drf_answers():
    deal = make_deal(category=make_category(), units=200)
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    entry = services.production_progress_record(
        order=order,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        day=timezone.localdate(),
        units=40,
    )
    services.production_progress_correct(
        order=order,
        acting_organization=deal.factory,
        acting_user=deal.factory_user,
        entry_pk=entry.pk,
        units=30,
        reason="Recounted",
    )
    order = selectors.order_get(organization=deal.buyer, pk=order.pk)
    assert order.design_id is None
    assert order.repeat_of_id is None
    context = {"organization": deal.buyer}
    events = list(order.events.all())
    assert any(event.actor is None for event in events)  # the system's steps too
    cases = [
        (OrderSummarySerializer, [order]),
        (OrderOutputSerializer, [order]),
        (EventOutputSerializer, events),
        (ProgressEntrySerializer, list(order.production_reports.all())),
        (ProgressPointSerializer, selectors.production_progress(order)),
        (OrganizationRefSerializer, [order.buyer, order.factory]),
    ]
    for serializer_class, instances in cases:
        serializer = serializer_class(context=context)
        for instance in instances:
            plain = serializer.to_representation(instance)
            assert plain == drf(serializer, instance), serializer_class.__name__
            assert list(plain) == list(drf(serializer, instance))  # the same key order


class Probe(PlainReadMixin, serializers.Serializer):
    email = serializers.EmailField()
    absent = serializers.IntegerField(required=False)  # no such attribute: left out
    defaulted = serializers.IntegerField(required=False, default=7)
    nullable = serializers.IntegerField(source="nothing_here", allow_null=True)
    full_name = serializers.CharField(source="get_full_name")  # a method: called
    memberships = serializers.ListField(source="memberships.all", child=serializers.CharField())
    dictionary = serializers.CharField(source="extra.key")  # a dict on the way


def test_special_cases_take_drf_rules():
    user = make_user()
    user.extra = {"key": "value"}
    serializer = Probe()
    plain = serializer.to_representation(user)
    assert plain == drf(serializer, user)
    assert "absent" not in plain
    assert plain["defaulted"] == 7
    assert plain["nullable"] is None
    assert plain["full_name"] == user.get_full_name()
    assert plain["dictionary"] == "value"
