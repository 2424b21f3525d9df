"""The factory pages through the Django test client: profile, calendar grid and its tools,
audit, showcase, directory; who may see and change what."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from factories import services
from factories.models import CapacityDay, FactoryPhoto, FactoryProfile, ProductionLine
from marketplace.models import Membership, Organization
from tests.factories.conftest import make_category, make_factory
from tests.helpers import add_member, make_organization

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def cells(factory):
    return sorted(
        CapacityDay.objects.filter(organization=factory).values_list("date", "units", "held")
    )


@pytest.fixture
def signed_in(client, category):
    factory, owner = make_factory([category])
    client.force_login(owner)
    return client, factory


def test_profile_page_saves_through_the_service(signed_in, category):
    client, factory = signed_in
    assert client.get("/factory/profile/").status_code == 200
    data = {
        "description": "New description",
        "country": "China",
        "place": "Jiangsu/Suzhou",
        "workers_count": 120,
        "floor_area_m2": 3000,
        "min_order_quantity": 40,
        "standard_lead_days": 6,
        "price_level": 2,
        "categories": [category.pk],
    }
    response = client.post("/factory/profile/", data)
    assert response.status_code == 302
    profile = FactoryProfile.objects.get(organization=factory)
    assert (profile.region, profile.city) == ("Jiangsu", "Suzhou")
    assert (profile.min_order_quantity, profile.standard_lead_days) == (40, 6)
    page = client.get("/factory/profile/").content.decode()
    assert '<option value="Jiangsu/Suzhou" selected>' in page
    bad = client.post("/factory/profile/", {**data, "min_order_quantity": 0})
    assert bad.status_code == 200
    assert FactoryProfile.objects.get(organization=factory).min_order_quantity == 40


def test_photo_and_line_forms(signed_in, category):
    client, factory = signed_in
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "orange").save(buffer, format="JPEG")
    upload = SimpleUploadedFile("hall.jpg", buffer.getvalue())
    assert client.post("/factory/profile/photos/", {"image": upload}).status_code == 302
    assert FactoryPhoto.objects.filter(organization=factory).count() == 1
    text = SimpleUploadedFile("hall.jpg", b"nope")
    response = client.post("/factory/profile/photos/", {"image": text})
    assert response.status_code == 400
    assert "not a readable image" in response.content.decode()
    line = {"name": "A", "category": category.pk, "daily_output": 100, "workers": 5}
    assert client.post("/factory/profile/line/", line).status_code == 302
    assert ProductionLine.objects.get(organization=factory).daily_output == 100


def test_capacity_grid_save_and_refusal(signed_in, category, today):
    client, factory = signed_in
    page = client.get("/factory/capacity/")
    assert page.status_code == 200
    assert f'name="cell-{category.pk}-{today.isoformat()}"' in page.content.decode()
    response = client.post(
        "/factory/capacity/",
        {
            "action": "save",
            f"cell-{category.pk}-{today.isoformat()}": "12",
            f"cell-{category.pk}-{(today + days(1)).isoformat()}": "0",
            f"cell-{category.pk}-{(today + days(2)).isoformat()}": "",
        },
    )
    assert response.status_code == 302
    assert cells(factory) == [(today, 12, 0), (today + days(1), 0, 0)]
    services.capacity_book(
        factory=factory, category=category, allocations={today: 10}, reference="g:1"
    )
    response = client.post(
        "/factory/capacity/",
        {"action": "save", f"cell-{category.pk}-{today.isoformat()}": "4"},
    )
    assert response.status_code == 400
    assert "10 units are already held or booked" in response.content.decode()
    assert cells(factory)[0] == (today, 12, 0)
    page = client.get("/factory/capacity/").content.decode()
    assert "B10" in page
    assert "g:1" in page


def test_capacity_tools_fill_copy_close_csv(signed_in, category, today):
    client, factory = signed_in
    fill = {
        "action": "fill",
        "category": category.pk,
        "start": today.isoformat(),
        "end": (today + days(6)).isoformat(),
        "units": 30,
        "weekdays": [0, 1, 2, 3, 4],
    }
    assert client.post("/factory/capacity/", fill).status_code == 302
    assert len(cells(factory)) == 5
    assert (
        client.post("/factory/capacity/", {"action": "copy", "source": "this"}).status_code == 302
    )
    # Every weekday of the 30-day window repeats one of the five filled days.
    weekdays_in_window = sum(1 for offset in range(30) if (today + days(offset)).weekday() < 5)
    assert len(cells(factory)) == weekdays_in_window
    close = {"action": "close", "start": today.isoformat(), "end": today.isoformat()}
    assert client.post("/factory/capacity/", close).status_code == 302
    assert CapacityDay.objects.get(organization=factory, date=today).units == 0
    csv_text = f"{(today + days(29)).isoformat()},shirts,77\n"
    upload = SimpleUploadedFile("c.csv", csv_text.encode())
    assert client.post("/factory/capacity/", {"action": "csv", "file": upload}).status_code == 302
    assert CapacityDay.objects.get(organization=factory, date=today + days(29)).units == 77
    outside = {**fill, "end": (today + days(40)).isoformat()}
    before = cells(factory)
    assert client.post("/factory/capacity/", outside).status_code == 400
    assert cells(factory) == before


def test_member_without_role_cannot_change_the_calendar(client, category, today):
    factory, _owner = make_factory([category])
    member = add_member(factory, Membership.Role.MEMBER)
    client.force_login(member)
    page = client.get("/factory/capacity/").content.decode()
    assert "disabled" in page
    response = client.post(
        "/factory/capacity/", {"action": "save", f"cell-{category.pk}-{today.isoformat()}": "9"}
    )
    assert response.status_code == 302
    assert cells(factory) == []
    profile_response = client.post("/factory/profile/", {"description": "x"})
    assert profile_response.status_code == 302
    assert FactoryProfile.objects.get(organization=factory).description == "We sew shirts."


def test_buyers_and_anonymous_do_not_get_factory_pages(client, category):
    _buyer, buyer_owner = make_organization(Organization.Kind.BUYER)
    for url in ("/factory/profile/", "/factory/capacity/", "/factory/audit/"):
        assert client.get(url).status_code == 302  # to sign in
    client.force_login(buyer_owner)
    for url in ("/factory/profile/", "/factory/capacity/", "/factory/audit/"):
        assert client.get(url).status_code == 404


def test_other_factorys_photo_delete_is_404(client, category):
    factory, _owner = make_factory([category])
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), "blue").save(buffer, format="PNG")
    photo = services.factory_photo_add(
        organization=factory, upload=SimpleUploadedFile("p.png", buffer.getvalue())
    )
    _other, other_owner = make_factory([make_category("shirts")])
    client.force_login(other_owner)
    assert client.post(f"/factory/profile/photos/{photo.pk}/delete/").status_code == 404
    assert FactoryPhoto.objects.filter(pk=photo.pk).exists()


def test_audit_page_submits_and_shows_history(signed_in):
    client, factory = signed_in
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), "white").save(buffer, format="PNG")
    data = {
        "legal_name": "Test Co., Ltd.",
        "business_registration_number": "9133",
        "business_registration": SimpleUploadedFile("licence.png", buffer.getvalue()),
    }
    assert client.post("/factory/audit/", data).status_code == 302
    page = client.get("/factory/audit/").content.decode()
    assert "Waiting for review" in page
    assert FactoryProfile.objects.get(organization=factory).audit_status == "submitted"


def test_showcase_and_directory(client, category, today):
    verified, _owner = make_factory([category], units=10)
    pending, _owner = make_factory([category], verified=False)
    page = client.get(f"/factories/{verified.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert verified.name in html
    assert "capacity-chart" in html
    assert client.get(f"/factories/{pending.pk}/").status_code == 404
    directory = client.get("/factories/").content.decode()
    assert verified.name in directory
    assert pending.name not in directory


def test_dashboard_panel_for_factories_and_buyers(client, category, today):
    _factory, owner = make_factory([category], units=12, days=5)
    client.force_login(owner)
    html = client.get("/dashboard/").content.decode()
    assert 'id="factory-panel"' in html
    assert "5 of the next 30 days published" in html
    _buyer, buyer_owner = make_organization(Organization.Kind.BUYER)
    client.force_login(buyer_owner)
    assert 'id="factory-search-panel"' in client.get("/dashboard/").content.decode()
