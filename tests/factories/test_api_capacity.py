"""GET/PUT /api/v1/capacity/ and the CSV upload: validation, all-or-nothing writes, and
four-client authorization."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from factories import services
from factories.models import CapacityDay
from marketplace.models import Membership, Organization
from tests.factories.conftest import make_category, make_factory
from tests.helpers import add_member, api_client, make_organization, nothing_changes

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

URL = "/api/v1/capacity/"


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def snapshot(factory) -> list[tuple]:
    return list(
        CapacityDay.objects.filter(organization=factory)
        .order_by("category_id", "date")
        .values_list("category_id", "date", "units", "held", "booked")
    )


@pytest.fixture
def factory(category):
    organization, owner = make_factory([category])
    return organization, owner


def test_put_then_get_round_trip(factory, category, today):
    organization, owner = factory
    client = api_client(owner, organization)
    body = {
        "days": [
            {"date": today.isoformat(), "category": "shirts", "units": 40},
            {"date": (today + days(1)).isoformat(), "category": "shirts", "units": 0},
        ]
    }
    response = client.put(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "days": [
            {"date": today.isoformat(), "category": "shirts", "units": 40, "held": 0, "booked": 0},
            {
                "date": (today + days(1)).isoformat(),
                "category": "shirts",
                "units": 0,
                "held": 0,
                "booked": 0,
            },
        ]
    }
    services.capacity_book(
        factory=organization, category=category, allocations={today: 5}, reference="o:1"
    )
    listed = client.get(URL).json()["days"]
    assert listed[0] == {
        "date": today.isoformat(),
        "category": "shirts",
        "units": 40,
        "held": 0,
        "booked": 5,
    }
    assert len(listed) == 2


def test_put_ignores_read_only_held_and_booked(factory, today):
    organization, owner = factory
    client = api_client(owner, organization)
    row = {"date": today.isoformat(), "category": "shirts", "units": 9, "held": 5, "booked": 4}
    response = client.put(URL, {"days": [row]}, format="json")
    assert response.status_code == 200
    assert snapshot(organization)[0][2:] == (9, 0, 0)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"date": "yesterday", "category": "shirts", "units": 1}, "date"),
        ({"date": "OFFSET-1", "category": "shirts", "units": 1}, "date"),
        ({"date": "OFFSET30", "category": "shirts", "units": 1}, "date"),
        ({"date": "OFFSET0", "category": "nope", "units": 1}, "category"),
        ({"date": "OFFSET0", "category": "jeans-x", "units": 1}, "category"),
        ({"date": "OFFSET0", "category": "shirts", "units": -1}, "units"),
        ({"date": "OFFSET0", "category": "shirts"}, "units"),
    ],
)
def test_bad_rows_are_400_with_field_errors_and_write_nothing(factory, today, row, field):
    organization, owner = factory
    make_category("jeans-x")  # exists, but not in this factory's profile
    if row["date"].startswith("OFFSET"):
        row = {**row, "date": (today + days(int(row["date"][6:]))).isoformat()}
    good = {"date": today.isoformat(), "category": "shirts", "units": 5}
    response = api_client(owner, organization).put(URL, {"days": [good, row]}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]["days"]  # keyed by the failing row's index
    assert list(errors) == ["1"]
    assert field in errors["1"]
    assert snapshot(organization) == []


def test_units_below_held_plus_booked_are_refused(factory, category, today):
    organization, owner = factory
    services.capacity_fill_range(
        organization=organization, category=category, start=today, end=today, units=10
    )
    services.capacity_hold(
        factory=organization,
        category=category,
        allocations={today: 4},
        reference="o:2",
        expires_at=datetime.datetime.now(datetime.UTC) + days(1),
    )
    services.capacity_book(
        factory=organization, category=category, allocations={today: 3}, reference="o:3"
    )
    before = snapshot(organization)
    rows = [
        {"date": (today + days(1)).isoformat(), "category": "shirts", "units": 50},
        {"date": today.isoformat(), "category": "shirts", "units": 6},
    ]
    response = api_client(owner, organization).put(URL, {"days": rows}, format="json")
    assert response.status_code == 400
    assert "7 units" in response.json()["errors"]["days"]["1"]["units"][0]
    assert snapshot(organization) == before
    rows[1]["units"] = 7
    assert api_client(owner, organization).put(URL, {"days": rows}).status_code == 200


def test_empty_and_malformed_bodies_are_400(factory):
    organization, owner = factory
    client = api_client(owner, organization)
    with nothing_changes("factories"):
        assert client.put(URL, {"days": []}, format="json").status_code == 400
        assert client.put(URL, {}, format="json").status_code == 400
        assert client.put(URL, {"days": "x"}, format="json").status_code == 400


def test_get_filters_and_validates(factory, category, today):
    organization, owner = factory
    services.capacity_fill_range(
        organization=organization, category=category, start=today, end=today + days(9), units=3
    )
    client = api_client(owner, organization)
    body = client.get(URL, {"start": (today + days(5)).isoformat(), "category": "shirts"}).json()
    assert len(body["days"]) == 5
    response = client.get(URL, {"start": "soon"})
    assert response.status_code == 400
    assert "start" in response.json()["errors"]


def test_csv_upload_writes_all_rows_or_none(factory, today):
    organization, owner = factory
    client = api_client(owner, organization)
    tomorrow = today + days(1)
    good = f"date,category,units\n{today.isoformat()},shirts,12\n{tomorrow.isoformat()},shirts,15\n"
    upload = SimpleUploadedFile("cal.csv", good.encode(), content_type="text/csv")
    response = client.post(URL + "upload/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert [row["units"] for row in response.json()["days"]] == [12, 15]
    bad = f"{today.isoformat()},shirts,99\nnot-a-date,shirts,1\n"
    upload = SimpleUploadedFile("cal.csv", bad.encode(), content_type="text/csv")
    response = client.post(URL + "upload/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "Line 2" in response.json()["errors"]["file"][0]
    assert [row[2] for row in snapshot(organization)] == [12, 15]


# --- four clients -------------------------------------------------------------------------


def _four_clients(organization):
    buyer, buyer_owner = make_organization(Organization.Kind.BUYER)
    other_factory, other_owner = make_factory([make_category("shirts")])
    member = add_member(organization, Membership.Role.MEMBER)
    return {
        "anonymous": api_client(),
        "other_buyer": api_client(buyer_owner, buyer),
        "other_factory": api_client(other_owner, other_factory),
        "member": api_client(member, organization),
    }, other_factory


def test_put_four_clients(factory, today):
    organization, owner = factory
    clients, other_factory = _four_clients(organization)
    body = {"days": [{"date": today.isoformat(), "category": "shirts", "units": 8}]}
    expected = {"anonymous": 401, "other_buyer": 403, "member": 403}
    for name, status in expected.items():
        response = clients[name].put(URL, body, format="json")
        assert response.status_code == status, (name, response.content)
        assert snapshot(organization) == []
    # Another factory's PUT writes its own calendar, never this one.
    assert clients["other_factory"].put(URL, body, format="json").status_code == 200
    assert snapshot(organization) == []
    assert len(snapshot(other_factory)) == 1
    assert api_client(owner, organization).put(URL, body, format="json").status_code == 200
    assert [row[2] for row in snapshot(organization)] == [8]
    admin = add_member(organization, Membership.Role.ADMIN)
    assert api_client(admin, organization).put(URL, body, format="json").status_code == 200


def test_get_four_clients(factory, category, today):
    organization, _owner = factory
    services.capacity_fill_range(
        organization=organization, category=category, start=today, end=today, units=8
    )
    clients, _other = _four_clients(organization)
    assert clients["anonymous"].get(URL).status_code == 401
    assert clients["other_buyer"].get(URL).status_code == 403
    assert clients["other_factory"].get(URL).json() == {"days": []}
    assert len(clients["member"].get(URL).json()["days"]) == 1


def test_upload_four_clients(factory, today):
    organization, _owner = factory
    clients, _other = _four_clients(organization)
    for name, status in {"anonymous": 401, "other_buyer": 403, "member": 403}.items():
        upload = SimpleUploadedFile("c.csv", f"{today.isoformat()},shirts,4\n".encode())
        response = clients[name].post(URL + "upload/", {"file": upload}, format="multipart")
        assert response.status_code == status, name
    assert snapshot(organization) == []


def test_reservations_list_shows_who_holds_which_day(factory, category, today):
    organization, owner = factory
    services.capacity_fill_range(
        organization=organization, category=category, start=today, end=today, units=10
    )
    services.capacity_book(
        factory=organization, category=category, allocations={today: 4}, reference="order:77"
    )
    body = api_client(owner, organization).get(URL + "reservations/").json()
    assert body["count"] == 1
    reservation = body["results"][0]
    assert (reservation["reference"], reservation["status"], reservation["quantity"]) == (
        "order:77",
        "booked",
        4,
    )
    assert reservation["days"] == [{"date": today.isoformat(), "units": 4}]
    other, other_owner = make_factory([make_category("shirts")])
    assert api_client(other_owner, other).get(URL + "reservations/").json()["count"] == 0
    assert api_client().get(URL + "reservations/").status_code == 401
