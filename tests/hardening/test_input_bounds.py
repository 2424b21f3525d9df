"""One set of bounds for pages and API (issue 14, items 6 and 7): a number past its bound
or a text past its maximum is a 400 with a message on the field, in the HTML form as in
the API, never a 500 and never stored."""

from __future__ import annotations

import pytest
from django import forms
from django.test import Client

from customization import forms as customization_forms
from factories import forms as factory_forms
from finance import forms as finance_forms
from iot_gateway import forms as iot_forms
from marketplace import forms as marketplace_forms
from marketplace import limits
from orders import forms as order_forms
from orders.models import RFQ, OrderStatus, Quote, QuoteTier, RFQInvitation, RFQMessage
from tests.helpers import api_client
from tests.orders.conftest import drive, in_days, make_deal, make_factory, nothing_changes

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

HUGE = 2**63


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Item 6: numbers ----------------------------------------------------------------------


@pytest.fixture
def invited_rival(category):
    deal = make_deal(category=category)
    rival, rival_user = make_factory(category, name="Second Works")
    RFQInvitation.objects.create(rfq=deal.rfq, factory=rival)
    return deal, rival, rival_user


def quote_body(**overrides):
    body = {"unit_price": "41.00", "lead_time_days": 9, "valid_until": in_days(9).isoformat()}
    return {**body, **overrides}


def test_quote_form_tier_quantity_of_2_63_is_a_400_on_the_page(invited_rival):
    deal, _rival, rival_user = invited_rival
    with nothing_changes():
        response = browser(rival_user).post(
            f"/rfqs/{deal.rfq.pk}/quote/",
            quote_body(tier_quantity_1=str(HUGE), tier_price_1="30.00"),
        )
    assert response.status_code == 400
    form = response.context["quote_form"]
    assert list(form.errors) == ["tier_quantity_1"]
    assert "less than or equal to 10000000" in form.errors["tier_quantity_1"][0]
    assert "less than or equal to 10000000" in response.content.decode()


def test_the_api_refuses_the_same_tier_quantity_on_the_same_field(invited_rival):
    deal, _rival, rival_user = invited_rival
    body = {
        "unit_price": {"amount": "41.00", "currency": "CNY"},
        "lead_time_days": 9,
        "valid_until": in_days(9).isoformat(),
        "tiers": [{"min_quantity": HUGE, "unit_price": {"amount": "30.00"}}],
    }
    with nothing_changes():
        response = api_client(rival_user).post(
            f"/api/v1/rfqs/{deal.rfq.pk}/quotes/", body, format="json"
        )
    assert response.status_code == 400
    assert "less than or equal to 10000000" in str(response.json()["errors"]["tiers"])


def test_a_quote_at_the_bounds_is_accepted_on_the_page(invited_rival):
    deal, rival, rival_user = invited_rival
    response = browser(rival_user).post(
        f"/rfqs/{deal.rfq.pk}/quote/",
        quote_body(
            tier_quantity_1=str(limits.QUANTITY.max),
            tier_price_1="30.00",
            lead_time_days=limits.LEAD_TIME_DAYS.max,
            note="n" * limits.QUOTE_NOTE,
        ),
    )
    assert response.status_code == 302
    quote = Quote.objects.get(rfq=deal.rfq, factory=rival)
    assert QuoteTier.objects.get(quote=quote).min_quantity == limits.QUANTITY.max
    assert len(quote.note) == limits.QUOTE_NOTE


@pytest.mark.parametrize(
    ("field", "value"),
    [("unit_price", "1000000000"), ("unit_price", "1e30"), ("sample_fee", "99999999999999")],
)
def test_quote_form_amounts_past_the_api_bound_are_refused(invited_rival, field, value):
    deal, _rival, rival_user = invited_rival
    with nothing_changes():
        response = browser(rival_user).post(
            f"/rfqs/{deal.rfq.pk}/quote/", quote_body(**{field: value})
        )
    assert response.status_code == 400
    assert field in response.context["quote_form"].errors


@pytest.mark.parametrize(
    ("path", "party", "status", "body", "field"),
    [
        ("progress", "factory", OrderStatus.IN_PRODUCTION, {"units": HUGE}, "units"),
        ("hold-extension", "buyer", OrderStatus.AWAITING_PAYMENT, {"days": HUGE}, "days"),
        ("repeat", "buyer", OrderStatus.COMPLETED, {"quantity": HUGE}, "quantity"),
    ],
)
def test_order_page_forms_refuse_2_63_without_a_500(category, path, party, status, body, field):
    deal = make_deal(category=category)
    order = drive(deal, status)
    user = deal.factory_user if party == "factory" else deal.buyer_user
    body = {"day": in_days(0).isoformat(), "ready_by": in_days(30).isoformat(), **body}
    with nothing_changes():
        response = browser(user).post(f"/orders/{order.pk}/{path}/", body, follow=True)
    assert response.status_code < 500
    assert "less than or equal to" in response.content.decode()
    assert field


def test_rfq_form_refuses_2_63_and_an_oversized_spec_with_field_messages(category):
    deal = make_deal(category=category)
    before = RFQ.objects.count()
    response = browser(deal.buyer_user).post(
        "/rfqs/new/",
        {
            "category": category.pk,
            "title": "Too much",
            "quantity": str(HUGE),
            "ready_by": in_days(30).isoformat(),
            "spec": "s" * (limits.RFQ_SPEC + 1),
        },
    )
    assert response.status_code < 500
    form = response.context["form"]
    assert set(form.errors) == {"quantity", "spec"}
    assert f"at most {limits.RFQ_SPEC} characters" in form.errors["spec"][0]
    assert RFQ.objects.count() == before


def test_capacity_grid_refuses_2_63_units_without_a_500(category):
    factory, owner = make_factory(category)
    cell = f"cell-{category.pk}-{in_days(3).isoformat()}"
    response = browser(owner).post("/factory/capacity/", {"action": "grid", cell: str(HUGE)})
    assert response.status_code < 500
    huge_category = f"cell-{HUGE}-{in_days(3).isoformat()}"
    response = browser(owner).post("/factory/capacity/", {"action": "grid", huge_category: "5"})
    assert response.status_code < 500
    assert factory


def _form_classes():
    modules = [
        order_forms,
        factory_forms,
        customization_forms,
        iot_forms,
        marketplace_forms,
        finance_forms,
    ]
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                yield value


def _fields(form_class) -> dict[str, forms.Field]:
    if issubclass(form_class, forms.ModelForm):
        return dict(form_class().fields)
    return dict(form_class.base_fields)


def test_every_form_number_and_text_has_a_bound_the_database_can_hold():
    """Every whole number a form takes fits the integer column behind it, every amount is
    under the API's limit, and every free-text field has a maximum."""
    unbounded = []
    for form_class in _form_classes():
        for name, field in _fields(form_class).items():
            label = f"{form_class.__name__}.{name}"
            if isinstance(field, forms.IntegerField) and not isinstance(field, forms.FloatField):
                if isinstance(field, forms.DecimalField):
                    if field.max_value is None or field.max_value >= limits.AMOUNT_LIMIT:
                        unbounded.append(label)
                elif field.max_value is None or field.max_value > limits.INT32_MAX:
                    unbounded.append(label)
            elif type(field) is forms.CharField and field.max_length is None:
                unbounded.append(label)
    assert unbounded == []


def test_factory_profile_page_refuses_2_63_workers_and_oversized_text(category):
    factory, owner = make_factory(category)
    response = browser(owner).post(
        "/factory/profile/",
        {
            "description": "d" * (limits.PROFILE_TEXT + 1),
            "country": "China",
            "workers_count": str(HUGE),
            "floor_area_m2": "0",
            "min_order_quantity": "10",
            "standard_lead_days": "7",
            "price_level": "3",
            "categories": [category.pk],
        },
    )
    assert response.status_code < 500
    errors = response.context["form"].errors
    assert {"description", "workers_count"} <= set(errors)
    factory.factory_profile.refresh_from_db()
    assert factory.factory_profile.description == "We make things."


# --- Item 7: free text --------------------------------------------------------------------


def test_page_message_past_its_maximum_is_a_400_on_the_field(invited_rival):
    deal, _rival, rival_user = invited_rival
    before = RFQMessage.objects.count()
    response = browser(rival_user).post(
        f"/rfqs/{deal.rfq.pk}/messages/", {"body": "m" * (limits.MESSAGE + 1)}
    )
    assert response.status_code == 400
    assert "body" in response.context["message_form"].errors
    assert RFQMessage.objects.count() == before


@pytest.fixture
def parties(category):
    return make_deal(category=category)


def _api_text_cases(deal):
    """(user, method, path, body, field, limit) for each free-text field of the API."""
    order_path = "/api/v1/orders/{order}/"
    return [
        (
            deal.buyer_user,
            "post",
            "/api/v1/rfqs/",
            {
                "category": deal.category.slug,
                "title": "Long spec",
                "quantity": 10,
                "ready_by": in_days(30).isoformat(),
                "spec": None,
            },
            "spec",
            limits.RFQ_SPEC,
        ),
        (
            deal.buyer_user,
            "post",
            "/api/v1/rfqs/",
            {
                "category": deal.category.slug,
                "title": None,
                "quantity": 10,
                "ready_by": in_days(30).isoformat(),
            },
            "title",
            limits.TITLE,
        ),
        (
            deal.factory_user,
            "patch",
            f"/api/v1/quotes/{deal.quote.pk}/",
            {"note": None},
            "note",
            limits.QUOTE_NOTE,
        ),
        (
            deal.factory_user,
            "post",
            f"/api/v1/rfqs/{deal.rfq.pk}/messages/",
            {"body": None},
            "body",
            limits.MESSAGE,
        ),
        (
            deal.factory_user,
            "put",
            "/api/v1/factory-profile/",
            {"description": None},
            "description",
            limits.PROFILE_TEXT,
        ),
        (
            deal.buyer_user,
            "post",
            order_path + "transitions/",
            {"action": "cancel", "note": None},
            "note",
            limits.ORDER_NOTE,
        ),
    ]


def test_every_api_free_text_past_its_maximum_is_a_400_on_the_field(parties):
    deal = parties
    order = drive(deal, OrderStatus.SAMPLE_REQUESTED)
    for user, method, path, body, field, limit in _api_text_cases(deal):
        path = path.format(order=order.pk)
        client = api_client(user)
        too_long = {**body, field: "x" * (limit + 1)}
        with nothing_changes():
            response = getattr(client, method)(path, too_long, format="json")
        assert response.status_code == 400, (path, field, response.content[:200])
        assert f"no more than {limit} characters" in str(response.json()["errors"][field])


def test_texts_at_their_maximum_are_accepted(parties):
    deal = parties
    client = api_client(deal.factory_user)
    note = client.patch(
        f"/api/v1/quotes/{deal.quote.pk}/", {"note": "n" * limits.QUOTE_NOTE}, format="json"
    )
    assert note.status_code == 200, note.content[:200]
    message = client.post(
        f"/api/v1/rfqs/{deal.rfq.pk}/messages/", {"body": "m" * limits.MESSAGE}, format="json"
    )
    assert message.status_code == 201, message.content[:200]


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (RFQ, "spec", limits.RFQ_SPEC),
        (Quote, "note", limits.QUOTE_NOTE),
        (RFQMessage, "body", limits.MESSAGE),
    ],
)
def test_the_database_refuses_text_past_its_maximum(parties, model, field, limit):
    """Code that skips the forms and serializers still cannot store 1 MB of text."""
    from django.db import IntegrityError, transaction

    deal = parties
    if model is RFQMessage:
        client = api_client(deal.factory_user)
        client.post(f"/api/v1/rfqs/{deal.rfq.pk}/messages/", {"body": "hello"}, format="json")
    row = model.objects.order_by("-pk").first()
    assert row is not None
    model.objects.filter(pk=row.pk).update(**{field: "x" * limit})
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: "x" * (limit + 1)})
