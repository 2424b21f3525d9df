"""The factory's own profile, photos, lines, equipment and certifications through the API;
the public list and detail; four-client authorization and cross-organization 404s."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from factories.models import (
    AuditEvidence,
    AuditSubmission,
    Certification,
    Equipment,
    FactoryPhoto,
    FactoryProfile,
    ProductionLine,
)
from marketplace.models import Membership, Organization
from tests.factories.conftest import make_category, make_factory
from tests.helpers import (
    add_member,
    api_client,
    assert_other_organization_gets_404,
    make_organization,
)

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

PROFILE = "/api/v1/factory-profile/"


def png(width=640, height=480, fmt="PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 20)).save(buffer, format=fmt)
    return SimpleUploadedFile(f"photo.{fmt.lower()}", buffer.getvalue())


@pytest.fixture
def factory(category):
    return make_factory([category])


def profile_state(organization):
    profile = FactoryProfile.objects.get(organization=organization)
    return (
        profile.description,
        profile.min_order_quantity,
        sorted(profile.categories.values_list("slug", flat=True)),
    )


def test_owner_updates_the_profile(factory):
    organization, owner = factory
    make_category("jeans")
    body = {
        "description": "Denim and shirts",
        "capabilities": ["shirts", "jeans"],
        "min_order_quantity": 50,
        "processes": ["cutting", "sewing"],
        "free_sampling": True,
    }
    response = api_client(owner, organization).put(PROFILE, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["capabilities"] == ["jeans", "shirts"]
    assert data["min_order_quantity"] == 50
    assert data["processes"] == ["cutting", "sewing"]
    assert data["free_sampling"] is True
    assert data["verified"] is True
    assert profile_state(organization) == ("Denim and shirts", 50, ["jeans", "shirts"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"min_order_quantity": 0}, "min_order_quantity"),
        ({"standard_lead_days": 0}, "standard_lead_days"),
        ({"capabilities": ["no-such"]}, "capabilities"),
        ({"price_level": 9}, "price_level"),
        ({"established_year": 1200}, "established_year"),
    ],
)
def test_bad_profile_input_is_400_and_changes_nothing(factory, body, field):
    organization, owner = factory
    before = profile_state(organization)
    response = api_client(owner, organization).put(PROFILE, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert profile_state(organization) == before


def test_profile_write_four_clients(factory):
    organization, owner = factory
    buyer, buyer_owner = make_organization(Organization.Kind.BUYER)
    other_factory, other_owner = make_factory([make_category("shirts")])
    member = add_member(organization, Membership.Role.MEMBER)
    body = {"description": "Changed"}
    before = profile_state(organization)
    assert api_client().put(PROFILE, body, format="json").status_code == 401
    assert api_client(buyer_owner, buyer).put(PROFILE, body, format="json").status_code == 403
    assert api_client(member, organization).put(PROFILE, body, format="json").status_code == 403
    assert api_client(member, organization).get(PROFILE).status_code == 200
    other = api_client(other_owner, other_factory).put(PROFILE, body, format="json")
    assert other.status_code == 200
    assert other.json()["id"] == other_factory.pk
    assert profile_state(organization) == before
    assert api_client(owner, organization).put(PROFILE, body, format="json").status_code == 200
    assert profile_state(organization)[0] == "Changed"


def test_photo_upload_validates_and_thumbnails(factory):
    organization, owner = factory
    client = api_client(owner, organization)
    response = client.post(
        PROFILE + "photos/", {"image": png(), "caption": "Cutting room"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    photo = FactoryPhoto.objects.get(organization=organization)
    assert (photo.width, photo.height) == (640, 480)
    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.size == (480, 360)
    bad = [
        SimpleUploadedFile("x.png", b"not an image"),
        png(100, 100),
        png(fmt="GIF"),
    ]
    for upload in bad:
        response = client.post(PROFILE + "photos/", {"image": upload}, format="multipart")
        assert response.status_code == 400, response.content
        assert "image" in response.json()["errors"]
    assert FactoryPhoto.objects.filter(organization=organization).count() == 1


def test_photo_write_four_clients_and_cross_org_404(factory):
    organization, owner = factory
    buyer, buyer_owner = make_organization(Organization.Kind.BUYER)
    other_factory, other_owner = make_factory([make_category("shirts")])
    member = add_member(organization, Membership.Role.MEMBER)
    for client, status in (
        (api_client(), 401),
        (api_client(buyer_owner, buyer), 403),
        (api_client(member, organization), 403),
    ):
        response = client.post(PROFILE + "photos/", {"image": png()}, format="multipart")
        assert response.status_code == status
    assert not FactoryPhoto.objects.exists()
    api_client(owner, organization).post(PROFILE + "photos/", {"image": png()}, format="multipart")
    photo = FactoryPhoto.objects.get()
    assert_other_organization_gets_404(
        api_client(other_owner, other_factory),
        "delete",
        f"{PROFILE}photos/{photo.pk}/",
        unchanged=lambda: FactoryPhoto.objects.count(),
    )
    response = api_client(member, organization).delete(f"{PROFILE}photos/{photo.pk}/")
    assert response.status_code == 403
    assert FactoryPhoto.objects.filter(pk=photo.pk).exists()
    response = api_client(owner, organization).delete(f"{PROFILE}photos/{photo.pk}/")
    assert response.status_code == 204
    assert not FactoryPhoto.objects.exists()


def test_lines_crud_and_cross_org_404(factory, category):
    organization, owner = factory
    client = api_client(owner, organization)
    body = {"name": "Line A", "category": "shirts", "daily_output": 300, "workers": 12}
    created = client.post(PROFILE + "lines/", body, format="json")
    assert created.status_code == 201, created.content
    line_pk = created.json()["id"]
    updated = client.put(f"{PROFILE}lines/{line_pk}/", {**body, "daily_output": 350})
    assert updated.json()["daily_output"] == 350
    make_category("pumps-x")
    refused = client.post(PROFILE + "lines/", {**body, "category": "pumps-x"}, format="json")
    assert refused.status_code == 400
    assert "category" in refused.json()["errors"]
    other_factory, other_owner = make_factory([make_category("shirts")])
    other = api_client(other_owner, other_factory)
    for method in ("put", "delete"):
        assert_other_organization_gets_404(
            other,
            method,
            f"{PROFILE}lines/{line_pk}/",
            data={**body, "daily_output": 1},
            unchanged=lambda: list(ProductionLine.objects.values_list("daily_output", flat=True)),
        )
    member = add_member(organization, Membership.Role.MEMBER)
    assert api_client(member, organization).delete(f"{PROFILE}lines/{line_pk}/").status_code == 403
    assert api_client().delete(f"{PROFILE}lines/{line_pk}/").status_code == 401
    assert ProductionLine.objects.get(pk=line_pk).daily_output == 350
    assert client.delete(f"{PROFILE}lines/{line_pk}/").status_code == 204
    assert not ProductionLine.objects.exists()


def test_certifications_and_equipment(factory, today):
    organization, owner = factory
    client = api_client(owner, organization)
    bad = client.post(
        PROFILE + "certifications/",
        {
            "name": "ISO 9001",
            "issued_on": today.isoformat(),
            "expires_on": (today - datetime.timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "expires_on" in bad.json()["errors"]
    good = client.post(
        PROFILE + "certifications/",
        {"name": "ISO 9001", "expires_on": (today + datetime.timedelta(days=300)).isoformat()},
        format="json",
    )
    assert good.status_code == 201
    assert good.json()["expired"] is False
    assert Certification.objects.count() == 1
    equipment = client.post(
        PROFILE + "equipment/", {"name": "Juki DDL-9000", "quantity": 40}, format="json"
    )
    assert equipment.status_code == 201
    buyer, buyer_owner = make_organization(Organization.Kind.BUYER)
    denied = api_client(buyer_owner, buyer).post(
        PROFILE + "equipment/", {"name": "x"}, format="json"
    )
    assert denied.status_code == 403
    assert list(Equipment.objects.values_list("name", flat=True)) == ["Juki DDL-9000"]


def test_public_list_and_detail(factory, category, today):
    organization, _owner = factory
    ProductionLine.objects.create(
        organization=organization, name="L1", category=category, daily_output=100
    )
    listed = api_client().get("/api/v1/factories/", {"category": "shirts"}).json()
    assert listed["count"] == 1
    item = listed["results"][0]
    assert item["id"] == organization.pk
    assert item["verified"] is True
    assert item["capabilities"] == ["shirts"]
    assert item["min_order_quantity"] == 30
    assert item["standard_lead_days"] == 7
    assert item["free_sampling"] is False
    assert item["performance"]["on_time_rate"] is None
    assert "rating" in item["performance"]
    detail = api_client().get(f"/api/v1/factories/{organization.pk}/").json()
    assert detail["lines"][0]["name"] == "L1"
    assert len(detail["capacity"]) == 30
    assert api_client().get("/api/v1/factories/999999/").status_code == 404
    pending, _owner = make_factory([category], verified=False)
    assert api_client().get(f"/api/v1/factories/{pending.pk}/").status_code == 404
    assert api_client().get("/api/v1/factories/").json()["count"] == 1
    assert api_client().get("/api/v1/factories/", {"category": "nope"}).status_code == 400


def test_audit_submission_through_the_api(factory):
    organization, owner = factory
    client = api_client(owner, organization)
    registration = SimpleUploadedFile("licence.pdf", b"%PDF-1.4 licence")
    body = {
        "legal_name": "Ningbo Test Garments Co., Ltd.",
        "business_registration_number": "91330200MA2XXXX",
        "business_registration": registration,
        "photos": [png()],
    }
    response = client.post(PROFILE + "audits/", body, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert sorted(item["kind"] for item in response.json()["evidence"]) == [
        "business_registration",
        "photo",
    ]
    again = client.post(
        PROFILE + "audits/",
        {**body, "business_registration": SimpleUploadedFile("l.pdf", b"%PDF"), "photos": []},
        format="multipart",
    )
    assert again.status_code == 409
    assert AuditSubmission.objects.filter(organization=organization).count() == 1
    assert AuditEvidence.objects.filter(organization=organization).count() == 2
    missing = client.post(PROFILE + "audits/", {"legal_name": "x"}, format="multipart")
    assert missing.status_code == 400
    member = add_member(organization, Membership.Role.MEMBER)
    assert api_client(member, organization).get(PROFILE + "audits/").json()["count"] == 1


@pytest.mark.parametrize("year", [9999, 1900])
def test_equipment_year_out_of_range_is_400_and_writes_nothing(factory, today, year):
    organization, owner = factory
    response = api_client(owner, organization).post(
        PROFILE + "equipment/", {"name": "Juki DDL-9000", "year": year}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "year" in response.json()["errors"]
    assert not Equipment.objects.exists()
