"""Drawings, inspection photos and dispute evidence are served only to the parties."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from marketplace.models import Organization
from orders import services
from orders.models import OrderStatus, RFQInvitation
from tests.helpers import api_client, make_organization
from tests.orders.conftest import (
    details_for,
    drive,
    in_days,
    make_deal,
    make_factory,
    make_quote,
)

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_rfq_attachment_download_is_scoped(category):
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    _factory, factory_user = make_factory(category)
    rfq = services.rfq_create(
        buyer=buyer,
        acting_user=buyer_user,
        category=category,
        title="With drawing",
        quantity=100,
        ready_by=in_days(20),
        attachments=[SimpleUploadedFile("drawing.png", PNG)],
    )
    services.rfq_match(rfq_pk=rfq.pk)
    body = api_client(buyer_user).get(f"/api/v1/rfqs/{rfq.pk}/").json()
    url = body["attachments"][0]["url"]
    assert url.startswith(f"/api/v1/rfqs/{rfq.pk}/attachments/")
    assert content(api_client(buyer_user).get(url)) == PNG
    assert content(api_client(factory_user).get(url)) == PNG  # invited
    _stranger, stranger_user = make_factory(category)
    assert api_client(stranger_user).get(url).status_code == 404
    page_url = url.replace("/api/v1", "")
    browser = Client()
    browser.force_login(stranger_user)
    assert browser.get(page_url).status_code == 404
    browser.force_login(buyer_user)
    assert content(browser.get(page_url)) == PNG


def test_confidential_files_are_stored_outside_media_root(category):
    buyer, buyer_user = make_organization(Organization.Kind.BUYER)
    rfq = services.rfq_create(
        buyer=buyer,
        acting_user=buyer_user,
        category=category,
        title="Private drawing",
        quantity=100,
        ready_by=in_days(20),
        attachments=[SimpleUploadedFile("drawing.png", PNG)],
    )
    stored = Path(rfq.attachments.get().file.path).resolve()
    assert Path(settings.PRIVATE_MEDIA_ROOT).resolve() in stored.parents
    assert Path(settings.MEDIA_ROOT).resolve() not in stored.parents


def test_order_photos_and_evidence_are_scoped(deal):
    order = drive(deal, OrderStatus.INSPECTION)
    photo = SimpleUploadedFile("lot.png", PNG)
    deal.act(
        "record_inspection", "buyer", **details_for("record_inspection", order), photos=[photo]
    )
    deal.act("ship", "factory", **details_for("ship", order))
    deal.act("open_dispute", "buyer", reason="Torn", evidence=[SimpleUploadedFile("t.png", PNG)])
    detail = api_client(deal.buyer_user).get(f"/api/v1/orders/{order.pk}/").json()
    photo_url = detail["inspections"][0]["photos"][0]
    assert content(api_client(deal.factory_user).get(photo_url)) == PNG
    evidence = order.disputes.get().evidence.get()
    evidence_url = f"/api/v1/orders/{order.pk}/files/evidence/{evidence.pk}/"
    assert content(api_client(deal.buyer_user).get(evidence_url)) == PNG
    _other, other_user = make_organization(Organization.Kind.BUYER)
    assert api_client(other_user).get(photo_url).status_code == 404
    assert api_client(other_user).get(evidence_url).status_code == 404
    wrong_kind = f"/api/v1/orders/{order.pk}/files/secrets/{evidence.pk}/"
    assert api_client(deal.buyer_user).get(wrong_kind).status_code == 404


def test_uninvited_rival_cannot_read_competitor_quote(category):
    deal = make_deal(category=category)
    rival, rival_user = make_factory(category)
    RFQInvitation.objects.create(rfq=deal.rfq, factory=rival)
    make_quote(deal.rfq, rival, rival_user)
    assert api_client(rival_user).get(f"/api/v1/quotes/{deal.quote.pk}/").status_code == 404
