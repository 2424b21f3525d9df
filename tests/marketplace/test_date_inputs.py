"""Every `<input type="date">` carries an ISO value, whatever the reader's language.

Browsers accept only `YYYY-MM-DD` there; Simplified Chinese's `2026/12/14` leaves the field
blank. The pages are rendered in zh-hans and the pre-filled values are read back.
"""

from __future__ import annotations

import datetime
import importlib
import re

import pytest
from django import forms
from django.apps import apps
from django.test import Client
from django.utils import timezone, translation

from orders.models import OrderStatus
from tests.orders.conftest import drive, make_deal

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 14)


OUR_APPS = {
    "marketplace",
    "catalog",
    "factories",
    "orders",
    "finance",
    "customization",
    "iot_gateway",
}


def _all_forms() -> list[type[forms.BaseForm]]:
    for config in apps.get_app_configs():
        if config.name in OUR_APPS:
            try:
                importlib.import_module(f"{config.name}.forms")
            except ModuleNotFoundError:
                continue
    found: list[type[forms.BaseForm]] = []
    pending = list(forms.BaseForm.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in OUR_APPS:
            found.append(cls)
    return found


def _date_fields() -> list[tuple[str, str, forms.Field]]:
    fields = []
    for cls in _all_forms():
        for name, field in getattr(cls, "base_fields", {}).items():
            if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
                fields.append((f"{cls.__module__}.{cls.__qualname__}", name, field))
    return fields


def test_every_date_field_of_every_form_renders_iso_in_chinese():
    fields = _date_fields()
    names = {f"{form}.{name}" for form, name, _field in fields}
    # The list, so that a renamed field cannot silently drop out of this test.
    assert {
        "orders.forms.RFQForm.ready_by",
        "orders.forms.QuoteForm.valid_until",
        "orders.forms.ProgressForm.day",
        "factories.forms.FillRangeForm.start",
        "factories.forms.FillRangeForm.end",
    } <= names
    with translation.override("zh-hans"):
        for form, name, field in fields:
            html = field.widget.render(name, DAY)
            assert 'type="date"' in html, f"{form}.{name} is not a date input"
            assert 'value="2026-12-14"' in html, f"{form}.{name}: {html}"


def _chinese_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _date_values(html: str, name: str) -> list[str]:
    inputs = re.findall(rf'<input type="date" name="{name}"[^>]*>', html)
    assert inputs, f"no date input named {name}"
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in inputs if "value=" in tag]


def test_pages_prefill_date_inputs_with_iso_values_in_chinese():
    deal = make_deal()
    today = timezone.localdate()

    rfq_page = _chinese_client(deal.factory_user).get(f"/rfqs/{deal.rfq.pk}/").content.decode()
    assert '<html lang="zh-hans">' in rfq_page
    assert _date_values(rfq_page, "valid_until") == [deal.quote.valid_until.isoformat()]

    capacity = _chinese_client(deal.factory_user).get("/factory/capacity/").content.decode()
    assert today.isoformat() in _date_values(capacity, "start")

    order = drive(deal, OrderStatus.IN_PRODUCTION)
    order_page = _chinese_client(deal.factory_user).get(f"/orders/{order.pk}/").content.decode()
    assert _date_values(order_page, "day") == [today.isoformat()]
    assert "/" not in "".join(_date_values(order_page, "day"))
