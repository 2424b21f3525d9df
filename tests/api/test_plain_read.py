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


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
def test_the_order_list_answers_what_the_summary_serializer_answers(zone, settings):
    """The list builds its page from plain rows (`order_summaries_data`): the same keys,
    order and values as `OrderSummarySerializer` over the orders, for the parties and for
    an assigned inspector (no prices), with and without a sample fee, and the count; its
    moments in the server's time zone ("Z" for UTC)."""
    settings.TIME_ZONE = zone
    from marketplace.models import Organization
    from orders.models import Order, RFQInvitation
    from tests.helpers import api_client, make_organization
    from tests.orders.conftest import make_quote, make_rfq

    deal = make_deal(category=make_category(), units=200)
    first = drive(deal, OrderStatus.IN_PRODUCTION)
    rfq = make_rfq(deal.buyer, deal.buyer_user, deal.category, quantity=30)
    RFQInvitation.objects.create(rfq=rfq, factory=deal.factory)
    second = services.quote_accept(
        quote=make_quote(rfq, deal.factory, deal.factory_user),
        acting_organization=deal.buyer,
        acting_user=deal.buyer_user,
    )
    Order.objects.filter(pk=second.pk).update(with_sample=False, sample_fee_minor=1234)
    Order.objects.filter(pk=first.pk).update(sample_fee_minor=995)
    agency, inspector_user = make_organization(Organization.Kind.INSPECTION, name="QC Probe")
    services.order_inspector_assign(
        order=first, acting_organization=deal.buyer, acting_user=deal.buyer_user, inspector=agency
    )
    assert Order.objects.get(pk=second.pk).total == Order.objects.get(pk=second.pk).goods_total
    for user, organization in (
        (deal.buyer_user, deal.buyer),
        (deal.factory_user, deal.factory),
        (inspector_user, agency),
    ):
        body = api_client(user).get("/api/v1/orders/?page_size=1&page=1").json()
        orders = list(Order.objects.for_organization(organization))
        assert body["count"] == len(orders)
        listed = api_client(user).get("/api/v1/orders/").json()["results"]
        expected = OrderSummarySerializer(
            orders, many=True, context={"organization": organization}
        ).data
        assert listed == [dict(item) for item in expected]
        assert [list(item) for item in listed] == [list(item) for item in expected]
    assert [row["total"] for row in listed] == [None]  # the inspector's: first only


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
def test_the_progress_answer_is_what_its_serializers_answer(zone, settings):
    """The progress answer (GET, and after each write and a correction) is built from plain
    rows: the same as `ProgressPointSerializer` over `production_progress` and
    `ProgressEntrySerializer` over the entries oldest first, with their total, in the
    server's time zone ("Z" for UTC) and with a moment on a whole second."""
    from unittest import mock

    from tests.helpers import api_client

    settings.TIME_ZONE = zone
    deal = make_deal(category=make_category(), units=200)
    order = drive(deal, OrderStatus.IN_PRODUCTION)
    factory = api_client(deal.factory_user)
    url = f"/api/v1/orders/{order.pk}/progress/"
    today = timezone.localdate()

    def expected():
        current = selectors.order_get(organization=deal.factory, pk=order.pk)
        reports = sorted(
            current.production_reports.all(), key=lambda item: (item.reported_at, item.pk)
        )
        return {
            "results": list(
                ProgressPointSerializer(selectors.production_progress(current), many=True).data
            ),
            "entries": list(ProgressEntrySerializer(reports, many=True).data),
            "total": selectors.reported_total(current),
            "quantity": current.quantity,
        }

    answers = [(factory.get(url), expected())]
    whole_second = timezone.now().replace(microsecond=0)
    for units, note in ((40, ""), (25, "night shift")):
        with mock.patch("django.utils.timezone.now", return_value=whole_second):
            answer = factory.post(url, {"day": today.isoformat(), "units": units, "note": note})
        answers.append((answer, expected()))
        whole_second = timezone.now()  # the second one's moment has its microseconds
    entry = answers[1][0].json()["entries"][0]["id"]
    correction = factory.post(f"{url}corrections/", {"entry": entry, "units": 30, "reason": "Re"})
    answers.append((correction, expected()))
    answers.append((factory.get(url), expected()))
    assert [answer.status_code for answer, _ in answers] == [200, 201, 201, 201, 200]
    for answer, wanted in answers:
        body = answer.json()
        assert body == wanted
        assert list(body) == list(wanted)
        assert [list(item) for item in body["entries"]] == [list(i) for i in wanted["entries"]]
        assert [list(item) for item in body["results"]] == [list(i) for i in wanted["results"]]
    body = answers[-1][0].json()
    assert body["total"] == 55
    assert [item["corrects"] for item in body["entries"]] == [None, None, entry]
    moment = body["entries"][0]["reported_at"]
    assert "." not in moment
    assert moment.endswith("Z" if zone == "UTC" else ":00")
