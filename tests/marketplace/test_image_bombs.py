"""A decompression bomb is refused from its header wherever an image is accepted (issue 14,
item 4): a 13000 x 13000 PNG of ~160 KB, under every byte cap, is a 400 naming the field
and nothing is stored. The memory this costs a real server is measured in
tests/marketplace/test_live_server_hardening.py."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from factories.models import AuditSubmission, FactoryPhoto
from marketplace.images import image_header_check
from marketplace.models import Organization
from orders.models import RFQ, Inspection, OrderStatus
from tests.factories.conftest import make_category, make_factory
from tests.helpers import api_client, decompression_bomb_png, make_organization
from tests.orders.conftest import drive, in_days, make_deal, passing_checklist

pytestmark = pytest.mark.django_db

TOO_MANY = "has too many pixels (at most 40 million)."


@pytest.fixture
def category():
    return make_category("shirts")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return decompression_bomb_png()


def _upload(bomb: bytes, name: str = "bomb.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, bomb, content_type="image/png")


def test_the_header_check_reads_dimensions_without_decoding(bomb):
    upload = _upload(bomb)
    with pytest.raises(Exception, match="too many pixels"):
        image_header_check(upload, field="image")
    assert upload.tell() == 0
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200)).save(buffer, format="PNG")
    assert image_header_check(_upload(buffer.getvalue()), field="image") == ("PNG", 300, 200)


def test_factory_photo_api_refuses_the_bomb(category, bomb):
    factory, owner = make_factory([category])
    response = api_client(owner, factory).post(
        "/api/v1/factory-profile/photos/", {"image": _upload(bomb)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"image": [f"bomb.png {TOO_MANY}"]}}
    assert not FactoryPhoto.objects.exists()


def test_factory_photo_page_refuses_the_bomb(client, category, bomb):
    _factory, owner = make_factory([category])
    client.force_login(owner)
    response = client.post("/factory/profile/photos/", {"image": _upload(bomb)})
    assert response.status_code == 400
    assert TOO_MANY in response.content.decode()
    assert not FactoryPhoto.objects.exists()


def test_audit_evidence_refuses_the_bomb(client, category, bomb):
    _factory, owner = make_factory([category], verified=False)
    client.force_login(owner)
    data = {
        "legal_name": "Test Co., Ltd.",
        "business_registration_number": "9133",
        "business_registration": _upload(bomb, "licence.png"),
    }
    response = client.post("/factory/audit/", data)
    assert response.status_code in (200, 400)
    assert TOO_MANY in response.content.decode()
    assert not AuditSubmission.objects.exists()


def test_rfq_attachment_refuses_the_bomb(category, bomb):
    _buyer, user = make_organization(Organization.Kind.BUYER)
    body = {
        "category": category.slug,
        "title": "Linen shirts",
        "quantity": 200,
        "ready_by": in_days(20).isoformat(),
        "spec": "Linen",
        "attachments": [_upload(bomb, "drawing.png")],
    }
    response = api_client(user).post("/api/v1/rfqs/", body, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["attachments"] == [f"drawing.png {TOO_MANY}"]
    assert not RFQ.objects.exists()


def test_inspection_photo_refuses_the_bomb(bomb):
    deal = make_deal()
    order = drive(deal, OrderStatus.INSPECTION)
    response = api_client(deal.factory_user).post(
        f"/api/v1/orders/{order.pk}/transitions/",
        {
            "action": "record_inspection",
            "defects_found": 0,
            "checklist": json.dumps(passing_checklist(order)),
            "photos": [_upload(bomb, "lot.png")],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["photos"] == [f"lot.png {TOO_MANY}"]
    assert not Inspection.objects.exists()
