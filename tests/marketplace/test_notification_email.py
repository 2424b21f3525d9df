"""Notification email leaves through a Celery task after commit: retried on mail-server
errors, and sent once however often the task runs."""

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from marketplace import services
from marketplace.celery import app as celery_app
from marketplace.models import Notification
from marketplace.tasks import notification_emails_send_task, notification_emails_sweep_task
from tests.conftest import wait_until
from tests.helpers import add_member, make_organization


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery_worker
def test_a_real_worker_emails_each_member_once_after_commit(celery_worker):
    organization, _owner = make_organization("buyer")
    add_member(organization)
    with transaction.atomic():
        notifications = services.notification_send(
            organization=organization, title="Quote received", url="/dashboard/"
        )
        pks = [notification.pk for notification in notifications]
    assert len(pks) == 2

    def all_emailed():
        return not Notification.objects.filter(pk__in=pks, emailed_at__isnull=True).exists()

    wait_until(all_emailed, timeout=30)
    sent_at = dict(Notification.objects.filter(pk__in=pks).values_list("pk", "emailed_at"))
    # A second run (a redelivery) sends nothing and leaves the record as it was.
    assert notification_emails_send_task.delay(pks).get(timeout=30) == 0
    assert dict(Notification.objects.filter(pk__in=pks).values_list("pk", "emailed_at")) == sent_at


@pytest.mark.django_db
def test_the_task_is_enqueued_on_commit_only_for_email(django_capture_on_commit_callbacks):
    organization, _owner = make_organization("buyer")
    with django_capture_on_commit_callbacks() as callbacks:
        services.notification_send(organization=organization, title="Inbox only", email=False)
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        services.notification_send(organization=organization, title="And email")
    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_mail_server_error_is_retried_and_the_email_sent_once(monkeypatch):
    organization, owner = make_organization("buyer")
    (notification,) = services.notification_send(
        organization=organization, title="Sample shipped", body="Tracking 123", url="/orders/1/"
    )
    real_send_mail = services.send_mail
    attempts = []

    def flaky_send_mail(**kwargs):
        attempts.append(kwargs)
        if len(attempts) == 1:
            raise SMTPServerDisconnected("the server hung up")
        return real_send_mail(**kwargs)

    monkeypatch.setattr(services, "send_mail", flaky_send_mail)
    result = notification_emails_send_task.apply(args=[[notification.pk]])
    assert result.successful()
    assert len(attempts) == 2
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert mail.outbox[0].subject == "Sample shipped"
    assert "Tracking 123" in mail.outbox[0].body
    assert "/orders/1/" in mail.outbox[0].body
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert notification_emails_send_task.apply(args=[[notification.pk]]).get() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_leaves_the_email_to_send(monkeypatch):
    organization, _owner = make_organization("buyer")
    (notification,) = services.notification_send(organization=organization, title="News")

    def down(**kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(services, "send_mail", down)
    with pytest.raises(ConnectionRefusedError):
        services.notification_email_send(notification_pk=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_sweep_sends_what_the_task_never_did(time_machine):
    organization, _owner = make_organization("buyer")
    (lost,) = services.notification_send(organization=organization, title="Lost in the broker")
    services.notification_send(organization=organization, title="Inbox only", email=False)
    assert notification_emails_sweep_task() == 0  # too young: its own task is on the way
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    assert notification_emails_sweep_task() == 1
    assert [message.subject for message in mail.outbox] == ["Lost in the broker"]
    assert notification_emails_sweep_task() == 0
    lost.refresh_from_db()
    assert lost.emailed_at is not None


def test_the_sweep_is_on_the_beat_schedule():
    entry = celery_app.conf.beat_schedule["notification-emails-sweep"]
    assert entry["task"] == notification_emails_sweep_task.name
    assert notification_emails_send_task.name == services.NOTIFICATION_EMAILS_TASK
