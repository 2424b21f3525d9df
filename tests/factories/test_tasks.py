"""Daily and periodic work: certificate expiry, stale calendars, the window roll, hold
expiry, performance refresh. Each is idempotent."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from factories import services, tasks
from factories.models import CapacityDay, Certification, FactoryPerformance, FactoryProfile
from marketplace.models import Notification
from marketplace.tasks import notification_emails_send_task
from tests.factories.conftest import make_factory

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def test_expired_certificates_are_flagged_once_and_the_factory_told(
    category, today, django_capture_on_commit_callbacks
):
    factory, owner = make_factory([category])
    expired = services.certification_save(
        organization=factory, name="BSCI", expires_on=today - days(1)
    )
    services.certification_save(organization=factory, name="ISO 9001", expires_on=today + days(9))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.certifications_flag_expired_task() == 1
    assert tasks.certifications_flag_expired_task() == 0
    expired.refresh_from_db()
    assert expired.expired_flagged_at is not None
    assert Certification.objects.filter(expired_flagged_at__isnull=True).count() == 1
    notice = Notification.objects.get(organization=factory)
    assert "BSCI" in notice.display_body
    assert notice.title_key == "factories.certificate_expired.title"
    with translation.override("zh-hans"):
        assert notice.display_title == "您资料中的一份证书已过期"
    assert notice.recipient == owner
    assert mail.outbox == []  # the email is a task's job
    assert notification_emails_send_task([notice.pk]) == 1
    assert [message.to for message in mail.outbox] == [[owner.email]]


def test_stale_calendars_are_flagged_and_cleared_by_publishing(category, today):
    fresh, _owner = make_factory([category], units=5)
    stale, _owner = make_factory([category], units=5, days=3)
    assert tasks.capacity_daily_task() == {"rolled": 0, "flagged": 1}
    assert tasks.capacity_daily_task() == {"rolled": 0, "flagged": 0}
    assert FactoryProfile.objects.get(organization=stale).calendar_stale
    assert not FactoryProfile.objects.get(organization=fresh).calendar_stale
    assert Notification.objects.filter(organization=stale).count() == 1
    services.capacity_fill_range(
        organization=stale, category=category, start=today, end=today + days(20), units=5
    )
    assert not FactoryProfile.objects.get(organization=stale).calendar_stale


def test_window_roll_repeats_last_weeks_day_for_opted_in_factories(category, today):
    rolling, _owner = make_factory([category], auto_roll_calendar=True)
    manual, _owner = make_factory([category])
    for factory in (rolling, manual):
        services.capacity_fill_range(
            organization=factory,
            category=category,
            start=today,
            end=today + days(28),
            units=10 + today.weekday(),
        )
    last = today + days(29)
    assert services.capacity_window_roll() == 1
    assert services.capacity_window_roll() == 0
    rolled = CapacityDay.objects.get(organization=rolling, date=last)
    assert rolled.units == CapacityDay.objects.get(organization=rolling, date=last - days(7)).units
    assert not CapacityDay.objects.filter(organization=manual, date=last).exists()


def test_performance_refresh_counts_bookings_and_utilisation(category, today):
    factory, _owner = make_factory([category], units=10)
    CapacityDay.objects.create(
        organization=factory, category=category, date=today - days(3), units=20, booked=5
    )
    services.capacity_book(
        factory=factory, category=category, allocations={today: 2}, reference="p:1"
    )
    tasks.factory_performance_refresh_task(factory.pk)
    record = FactoryPerformance.objects.get(organization=factory)
    assert record.bookings_count == 1
    assert record.capacity_utilisation == 0.25
    services.factory_performance_update(factory=factory, on_time_rate=0.9, rating=4.5)
    tasks.factory_performance_refresh_task(factory.pk)
    record.refresh_from_db()
    assert (record.on_time_rate, record.rating, record.bookings_count) == (0.9, 4.5, 1)
    with pytest.raises(ValueError, match="on_time_rate"):
        services.factory_performance_update(factory=factory, on_time_rate=1.5)


def test_factory_is_verified_reads_the_organization(category):
    verified, _owner = make_factory([category])
    pending, _owner = make_factory([category], verified=False)
    from factories import selectors

    assert selectors.factory_is_verified(factory=verified) is True
    assert selectors.factory_is_verified(factory=pending) is False
    assert selectors.factory_profile_for(organization=verified).organization == verified


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_holds(celery_worker, category, today):
    from tests.conftest import wait_until

    factory, _owner = make_factory([category], units=10, days=1)
    hold = services.capacity_hold(
        factory=factory,
        category=category,
        allocations={today: 7},
        reference="w:1",
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    result = tasks.reservations_expire_task.delay()
    assert result.get(timeout=60) == 1
    hold.refresh_from_db()
    assert hold.status == "expired"
    assert wait_until(lambda: CapacityDay.objects.get(organization=factory, date=today).held == 0)
