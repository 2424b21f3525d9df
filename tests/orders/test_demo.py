import pytest

from orders.models import RFQ, Order, OrderStatus, Quote, Review

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.date_sensitive]


def test_demo_seed_covers_the_life_cycle_and_is_idempotent():
    from catalog import demo as catalog_demo
    from factories import demo as factories_demo
    from finance import demo as finance_demo
    from marketplace import demo as marketplace_demo
    from orders import demo as orders_demo

    marketplace_demo.seed()
    catalog_demo.seed()
    factories_demo.seed()
    orders_demo.seed()
    finance_demo.seed()  # pays the orders the orders demo drove up to payment, drives them on
    statuses = set(Order.objects.values_list("status", flat=True))
    expected = set(OrderStatus.values) - {OrderStatus.SAMPLE_APPROVED}
    assert statuses == expected
    assert RFQ.objects.filter(status=RFQ.Status.OPEN).count() == 2
    assert RFQ.objects.filter(status=RFQ.Status.CANCELLED).count() == 1
    assert Quote.objects.filter(rfq__title="Oxford button-down shirts").count() == 3
    assert Review.objects.count() == 1
    assert Order.objects.filter(repeat_of__isnull=False).count() == 1
    counts = (RFQ.objects.count(), Order.objects.count(), Quote.objects.count())
    orders_demo.seed()
    finance_demo.seed()
    assert (RFQ.objects.count(), Order.objects.count(), Quote.objects.count()) == counts
