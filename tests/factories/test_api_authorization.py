"""Every capacity and profile write endpoint with the four clients: anonymous, another
organization, a member without the owner/admin role, and an owner. Denied calls change
nothing anywhere in the factory's data; the owner's call succeeds."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from factories import services
from factories.models import (
    AuditSubmission,
    CapacityDay,
    Certification,
    Equipment,
    FactoryPhoto,
    FactoryProfile,
    ProductionLine,
)
from marketplace.models import Membership, Organization
from tests.factories.conftest import make_category, make_factory
from tests.helpers import add_member, api_client, make_organization

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

P = "/api/v1/factory-profile/"


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "green").save(buffer, format="PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue())


def state(organization) -> tuple:
    """Everything the write endpoints can change, for one factory."""
    profile = FactoryProfile.objects.get(organization=organization)
    return (
        profile.description,
        profile.min_order_quantity,
        list(CapacityDay.objects.filter(organization=organization).values_list("date", "units")),
        list(FactoryPhoto.objects.filter(organization=organization).values_list("pk", "caption")),
        list(
            ProductionLine.objects.filter(organization=organization).values_list(
                "pk", "daily_output"
            )
        ),
        list(Equipment.objects.filter(organization=organization).values_list("pk", "quantity")),
        list(
            Certification.objects.filter(organization=organization).values_list("pk", "expires_on")
        ),
        AuditSubmission.objects.filter(organization=organization).count(),
    )


@pytest.fixture
def world(category):
    today = timezone.localdate()
    factory, owner = make_factory([category])
    photo = services.factory_photo_add(organization=factory, upload=png(), caption="hall")
    line = services.production_line_save(
        organization=factory, name="A", category=category, daily_output=100
    )
    equipment = services.equipment_save(organization=factory, name="Saw", quantity=2)
    certification = services.certification_save(
        organization=factory, name="ISO 9001", expires_on=today + datetime.timedelta(days=90)
    )
    buyer, buyer_owner = make_organization(Organization.Kind.BUYER)
    other_factory, other_owner = make_factory([make_category("shirts")])
    return {
        "factory": factory,
        "owner": owner,
        "member": add_member(factory, Membership.Role.MEMBER),
        "buyer": (buyer, buyer_owner),
        "other_factory": (other_factory, other_owner),
        "ids": {
            "photo": photo.pk,
            "line": line.pk,
            "equipment": equipment.pk,
            "certification": certification.pk,
        },
    }


def _calls(ids: dict, today: datetime.date) -> list[tuple]:
    """(name, method, url, body builder, format, is the URL an object of the factory)."""
    in_window = today.isoformat()
    csv_row = f"{in_window},shirts,9\n".encode()
    return [
        (
            "capacity put",
            "put",
            "/api/v1/capacity/",
            lambda: {"days": [{"date": in_window, "category": "shirts", "units": 9}]},
            "json",
            False,
        ),
        (
            "capacity upload",
            "post",
            "/api/v1/capacity/upload/",
            lambda: {"file": SimpleUploadedFile("c.csv", csv_row)},
            "multipart",
            False,
        ),
        ("profile put", "put", P, lambda: {"min_order_quantity": 77}, "json", False),
        ("photo post", "post", P + "photos/", lambda: {"image": png()}, "multipart", False),
        ("photo delete", "delete", f"{P}photos/{ids['photo']}/", dict, "json", True),
        (
            "line post",
            "post",
            P + "lines/",
            lambda: {"name": "B", "category": "shirts", "daily_output": 5},
            "json",
            False,
        ),
        (
            "line put",
            "put",
            f"{P}lines/{ids['line']}/",
            lambda: {"name": "A", "category": "shirts", "daily_output": 5},
            "json",
            True,
        ),
        ("line delete", "delete", f"{P}lines/{ids['line']}/", dict, "json", True),
        ("equipment post", "post", P + "equipment/", lambda: {"name": "Press"}, "json", False),
        (
            "equipment put",
            "put",
            f"{P}equipment/{ids['equipment']}/",
            lambda: {"name": "Saw", "quantity": 9},
            "json",
            True,
        ),
        ("equipment delete", "delete", f"{P}equipment/{ids['equipment']}/", dict, "json", True),
        (
            "certification post",
            "post",
            P + "certifications/",
            lambda: {"name": "BSCI", "expires_on": "2099-01-01"},
            "json",
            False,
        ),
        (
            "certification put",
            "put",
            f"{P}certifications/{ids['certification']}/",
            lambda: {"name": "ISO 9001", "expires_on": "2099-01-01"},
            "json",
            True,
        ),
        (
            "certification delete",
            "delete",
            f"{P}certifications/{ids['certification']}/",
            dict,
            "json",
            True,
        ),
        (
            "audit post",
            "post",
            P + "audits/",
            lambda: {
                "legal_name": "X Co.",
                "business_registration_number": "1",
                "business_registration": SimpleUploadedFile("l.pdf", b"%PDF-1.4"),
            },
            "multipart",
            False,
        ),
    ]


_PLACEHOLDER_IDS = dict.fromkeys(("photo", "line", "equipment", "certification"), 0)
CALL_NAMES = [call[0] for call in _calls(_PLACEHOLDER_IDS, datetime.date(2000, 1, 1))]


@pytest.mark.parametrize("call_name", CALL_NAMES)
def test_write_endpoint_with_four_clients(world, call_name):
    today = timezone.localdate()
    calls = {call[0]: call for call in _calls(world["ids"], today)}
    _name, method, url, body, data_format, is_object = calls[call_name]
    factory = world["factory"]
    other_factory, other_owner = world["other_factory"]
    buyer, buyer_owner = world["buyer"]

    def send(client):
        return getattr(client, method)(url, body(), format=data_format)

    before = state(factory)
    assert send(api_client()).status_code == 401
    assert send(api_client(buyer_owner, buyer)).status_code == 403
    assert send(api_client(world["member"], factory)).status_code == 403
    assert state(factory) == before
    if is_object:
        # Another factory addressing this factory's object: 404, never 403.
        response = send(api_client(other_owner, other_factory))
        assert response.status_code == 404
        assert "detail" in response.json()
        assert state(factory) == before
    response = send(api_client(world["owner"], factory))
    assert response.status_code in (200, 201, 204), response.content
    assert state(factory) != before
