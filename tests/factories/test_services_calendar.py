"""The calendar tools the page offers (fill, close, CSV import) are each one atomic service:
a refused day anywhere leaves the whole calendar as it was."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from factories import services
from factories.models import CapacityDay
from marketplace.exceptions import InvalidError
from tests.factories.conftest import make_category, make_factory
from tests.helpers import api_client

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def calendar(factory) -> list[tuple]:
    return sorted(
        CapacityDay.objects.filter(organization=factory).values_list(
            "category__slug", "date", "units", "booked"
        )
    )


@pytest.fixture
def factory_with_a_booked_day(today):
    """Makes shirts and jeans; jeans has 10 units published on day 2, 8 of them booked."""
    shirts, jeans = make_category("shirts"), make_category("jeans")
    factory, owner = make_factory([shirts, jeans])
    services.capacity_cells_set(
        organization=factory,
        cells=[services.CapacityCell(date=today + days(2), category_id=jeans.pk, units=10)],
    )
    services.capacity_book(
        factory=factory, category=jeans, allocations={today + days(2): 8}, reference="r:1"
    )
    return factory, owner, shirts, jeans


def test_fill_every_category_is_all_or_nothing(factory_with_a_booked_day, today):
    factory, _owner, _shirts, _jeans = factory_with_a_booked_day
    before = calendar(factory)
    with pytest.raises(services.CapacityEditError) as refused:
        services.capacity_fill(
            organization=factory, start=today, end=today + days(6), units=5, category=None
        )
    assert (
        f"{(today + days(2)).isoformat()}: 8 units are already held or booked"
        in (refused.value.messages[0])
    )
    # Shirts (filled first, without a problem) was rolled back with jeans.
    assert calendar(factory) == before


def test_fill_every_category_writes_each_when_all_fit(factory_with_a_booked_day, today):
    factory, _owner, shirts, jeans = factory_with_a_booked_day
    written = services.capacity_fill(
        organization=factory, start=today, end=today + days(6), units=9, weekdays={0, 1, 2, 3, 4}
    )
    filled = {(cell.category_id, cell.date) for cell in written}
    weekdays = [today + days(n) for n in range(7) if (today + days(n)).weekday() < 5]
    assert filled == {(category.pk, day) for category in (shirts, jeans) for day in weekdays}


def test_the_page_fill_refused_in_one_category_changes_nothing(
    client, factory_with_a_booked_day, today
):
    factory, owner, _shirts, _jeans = factory_with_a_booked_day
    client.force_login(owner)
    before = calendar(factory)
    response = client.post(
        "/factory/capacity/",
        {
            "action": "fill",
            "category": "",
            "start": today.isoformat(),
            "end": (today + days(6)).isoformat(),
            "units": 5,
        },
    )
    assert response.status_code == 400
    assert "8 units are already held or booked" in response.content.decode()
    assert calendar(factory) == before


def test_close_range_closes_every_category_made(factory_with_a_booked_day, today):
    factory, _owner, shirts, _jeans = factory_with_a_booked_day
    with pytest.raises(InvalidError):
        services.capacity_close_range(organization=factory, start=today, end=today + days(3))
    services.capacity_close_range(organization=factory, start=today, end=today + days(1))
    assert calendar(factory)[:2] == [
        ("jeans", today, 0, 0),
        ("jeans", today + days(1), 0, 0),
    ]
    assert CapacityDay.objects.filter(organization=factory, category=shirts, units=0).count() == 2
    with pytest.raises(InvalidError) as backwards:
        services.capacity_close_range(organization=factory, start=today + days(1), end=today)
    assert backwards.value.message_dict == {"end": ["The end must not be before the start."]}


def test_csv_import_reports_every_problem_under_file_and_writes_nothing(
    factory_with_a_booked_day, today
):
    factory, _owner, _shirts, _jeans = factory_with_a_booked_day
    before = calendar(factory)
    rows = [f"{today.isoformat()},shirts,4", f"{(today + days(2)).isoformat()},jeans,3"]
    text = "\n".join(["date,category,units", *rows])
    with pytest.raises(InvalidError) as refused:
        services.capacity_csv_import(organization=factory, content=text.encode())
    assert list(refused.value.message_dict) == ["file"]
    assert "8 units are already held or booked" in refused.value.message_dict["file"][0]
    assert calendar(factory) == before
    with pytest.raises(InvalidError) as not_utf8:
        services.capacity_csv_import(organization=factory, content="日期".encode("gb18030"))
    assert not_utf8.value.message_dict == {"file": ["Save the file as UTF-8 CSV."]}


def test_the_api_names_the_refused_row_by_its_index(factory_with_a_booked_day, today):
    factory, owner, _shirts, _jeans = factory_with_a_booked_day
    before = calendar(factory)
    rows = [
        {"date": today.isoformat(), "category": "shirts", "units": 4},
        {"date": (today + days(2)).isoformat(), "category": "jeans", "units": 3},
    ]
    response = api_client(owner, factory).put("/api/v1/capacity/", {"days": rows}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]["days"]) == ["1"]
    assert calendar(factory) == before
    upload = SimpleUploadedFile("c.csv", f"{(today + days(2)).isoformat()},jeans,3\n".encode())
    response = api_client(owner, factory).post(
        "/api/v1/capacity/upload/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "8 units are already held or booked" in response.json()["errors"]["file"][0]
    assert calendar(factory) == before
