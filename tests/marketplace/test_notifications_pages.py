"""The inbox page: the current organization's notifications for me, htmx mark-read, the
unread badge in the top bar."""

import pytest

from marketplace import services
from marketplace.models import Membership, Notification
from tests.helpers import add_member, make_organization

pytestmark = pytest.mark.django_db


def _notify(organization, title, url=""):
    services.notification_send(organization=organization, title=title, url=url, email=False)


@pytest.fixture
def buyer_with_news():
    organization, owner = make_organization("buyer", name="Inbox Buyers")
    _notify(organization, "Quote received for RFQ 12", url="/dashboard/")
    _notify(organization, "Sample shipped")
    return organization, owner


def test_inbox_lists_my_notifications_and_the_badge_counts_them(client, buyer_with_news):
    organization, owner = buyer_with_news
    other, _ = make_organization("factory")
    Membership.objects.create(user=owner, organization=other, role="member")
    _notify(other, "Not for the buyer side")
    client.force_login(owner)
    client.post("/organization/switch/", {"organization": organization.slug})
    page = client.get("/notifications/").content.decode()
    assert "Quote received for RFQ 12" in page
    assert "Sample shipped" in page
    assert "Not for the buyer side" not in page
    assert '<span class="count-badge">2</span>' in page


def test_htmx_mark_read_returns_the_row_and_the_new_badge(client, buyer_with_news):
    _organization, owner = buyer_with_news
    notification = Notification.objects.filter(recipient=owner).order_by("pk").first()
    client.force_login(owner)
    response = client.post(f"/notifications/{notification.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{notification.pk}"' in html
    assert 'class="notification read"' in html
    assert 'hx-swap-oob="true"' in html
    assert '<span class="count-badge">1</span>' in html
    assert Notification.objects.get(pk=notification.pk).read_at is not None


def test_mark_all_read_and_unread_filter(client, buyer_with_news):
    _organization, owner = buyer_with_news
    client.force_login(owner)
    response = client.post("/notifications/read-all/", follow=True)
    assert "2 notifications marked read." in response.content.decode()
    unread = client.get("/notifications/?show=unread").content.decode()
    assert "Nothing unread" in unread
    assert "count-badge" not in unread


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, buyer_with_news):
    _organization, owner = buyer_with_news
    notification = Notification.objects.get(recipient=owner, title__startswith="Quote")
    client.force_login(owner)
    response = client.get(f"/notifications/{notification.pk}/open/")
    assert response["Location"] == "/dashboard/"
    assert Notification.objects.get(pk=notification.pk).read_at is not None


def test_someone_elses_notification_is_404_and_stays_unread(client, buyer_with_news):
    organization, owner = buyer_with_news
    colleague = add_member(organization)
    _notify(organization, "For both")
    theirs = Notification.objects.get(recipient=colleague)
    client.force_login(owner)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_inbox_needs_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_inbox_pages_without_n_plus_one(client, buyer_with_news, django_assert_max_num_queries):
    organization, owner = buyer_with_news
    for number in range(30):
        _notify(organization, f"Bulk {number}")
    client.force_login(owner)
    with django_assert_max_num_queries(12):
        page = client.get("/notifications/").content.decode()
    assert "Page 1 of 2" in page
