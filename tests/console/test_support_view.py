"""Support view: an operator opens an organization's pages read-only from its admin page;
every page they open is logged, every write is refused with 403 and changes nothing, they
never get the organization's API token, and a content editor cannot start one."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import ProgrammingError, transaction

from marketplace import services
from marketplace.console.models import AuditEvent, SupportPageView, SupportSession
from marketplace.models import ApiToken, Organization
from orders.models import RFQ, OrderStatus
from tests.helpers import make_operator
from tests.orders.conftest import in_days, nothing_changes, prepare

pytestmark = pytest.mark.django_db


def _start_url(organization: Organization) -> str:
    return f"/admin/console/support/{organization.pk}/start/"


def _start(client, organization: Organization, reason: str = "Ticket 4411: order page blank"):
    return client.post(_start_url(organization), {"reason": reason})


@pytest.fixture
def order():
    _deal, order = prepare(OrderStatus.PAID, "start_production")
    return order


def test_an_arbiter_views_a_buyers_pages_read_only_and_each_view_is_logged(client, order):
    buyer = order.buyer
    arbiter = make_operator(superuser=False, groups=["arbiter"])
    client.force_login(arbiter)

    admin_page = client.get(f"/admin/marketplace/organization/{buyer.pk}/change/")
    assert _start_url(buyer) in admin_page.content.decode()

    no_reason = _start(client, buyer, reason="   ")
    assert no_reason.status_code == 200
    assert "This field is required." in no_reason.content.decode()
    assert not SupportSession.objects.exists()

    started = _start(client, buyer)
    assert started.status_code == 302
    assert started["Location"] == "/dashboard/"

    banner = f"Support view of {buyer.name}: read only"
    detail = client.get(f"/orders/{order.pk}/")
    assert detail.status_code == 200
    assert banner in detail.content.decode()
    assert order.number in detail.content.decode()
    listing = client.get("/orders/?status=paid")
    assert listing.status_code == 200
    assert order.number in listing.content.decode()

    views = list(SupportPageView.objects.order_by("pk"))
    assert [(view.method, view.path, view.status_code) for view in views] == [
        ("GET", f"/orders/{order.pk}/", 200),
        ("GET", "/orders/?status=paid", 200),
    ]
    assert {(view.operator, view.organization) for view in views} == {(arbiter, buyer)}

    log = client.get("/admin/console/supportpageview/", {"q": "status=paid"})
    assert log.status_code == 200
    assert "/orders/?status=paid" in log.content.decode()
    assert f"/orders/{order.pk}/" not in log.content.decode()
    started_event = AuditEvent.objects.get(pgh_obj_model="console.SupportSession")
    assert started_event.operator == arbiter
    assert started_event.reason == "Ticket 4411: order page blank"

    left = client.post("/admin/console/support/leave/")
    assert left.status_code == 302
    assert left["Location"] == f"/admin/marketplace/organization/{buyer.pk}/change/"
    assert SupportSession.objects.get().ended_at is not None
    after = client.get(f"/orders/{order.pk}/")
    assert banner not in after.content.decode()
    assert after.status_code == 404
    assert SupportPageView.objects.count() == 2


def test_every_write_in_a_support_view_is_refused_and_changes_nothing(client, order):
    factory = order.factory
    member = order.factory.memberships.get().user
    ApiToken.objects.all().delete()
    client.force_login(make_operator(superuser=False, groups=["finance"]))
    assert _start(client, factory).status_code == 302
    tokens = ApiToken.objects.count()

    with nothing_changes():
        form = client.post(f"/orders/{order.pk}/transition/", {"action": "start_production"})
        htmx = client.post(
            f"/orders/{order.pk}/transition/",
            {"action": "start_production"},
            headers={"HX-Request": "true"},
        )
        put = client.put(f"/orders/{order.pk}/", {})
        delete = client.delete(f"/orders/{order.pk}/")
        api = client.post(
            "/api/v1/rfqs/",
            {"category": "shirts", "title": "Shirts", "quantity": 5,
             "ready_by": in_days(30).isoformat()},
            content_type="application/json",
        )  # fmt: skip
        token = client.post("/account/tokens/", {"name": "support"})
    for response in (form, htmx, put, delete, token):
        assert response.status_code == 403
        assert "read only" in response.content.decode()
    assert api.status_code == 403
    assert "read only" in api.json()["detail"]
    assert RFQ.objects.count() == 1
    assert ApiToken.objects.count() == tokens
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    refused = SupportPageView.objects.filter(status_code=403)
    assert sorted(refused.values_list("method", flat=True)) == [
        "DELETE", "POST", "POST", "POST", "POST", "PUT",
    ]  # fmt: skip

    # The member's own token never shows on the token page the operator can read.
    member_token, _key = services.api_token_create(user=member, name="factory-erp")
    tokens_page = client.get("/account/tokens/")
    assert tokens_page.status_code == 200
    assert member_token.prefix not in tokens_page.content.decode()
    assert "factory-erp" not in tokens_page.content.decode()


def test_the_page_view_log_is_append_only(client, order):
    client.force_login(make_operator())
    _start(client, order.buyer)
    client.get("/orders/")
    view = SupportPageView.objects.get()
    with pytest.raises(ProgrammingError), transaction.atomic():
        SupportPageView.objects.filter(pk=view.pk).update(path="/elsewhere/")
    with pytest.raises(ProgrammingError), transaction.atomic():
        SupportPageView.objects.filter(pk=view.pk).delete()
    log = client.get(f"/admin/console/supportpageview/{view.pk}/change/")
    assert log.status_code == 200
    assert 'name="_save"' not in log.content.decode()


def test_a_content_editor_cannot_start_a_support_view(client, order):
    buyer = order.buyer
    editor = make_operator(superuser=False, groups=["content"])
    editor.user_permissions.add(Permission.objects.get(codename="view_organization"))
    client.force_login(editor)
    admin_page = client.get(f"/admin/marketplace/organization/{buyer.pk}/change/")
    assert admin_page.status_code == 200
    assert _start_url(buyer) not in admin_page.content.decode()

    assert client.get(_start_url(buyer)).status_code == 403
    assert _start(client, buyer).status_code == 403
    assert not SupportSession.objects.exists()
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert not SupportPageView.objects.exists()


def test_a_support_view_belongs_to_the_operator_who_started_it(client, order):
    client.force_login(make_operator())
    _start(client, order.buyer)
    session_key = client.session["console_support_view"]
    other = make_operator()
    client.force_login(other)
    session = client.session
    session["console_support_view"] = session_key
    session.save()
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert not SupportPageView.objects.exists()


def _changelist_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_the_support_lists_run_the_same_queries_with_few_and_many_rows(client):
    from tests.helpers import make_organization

    client.force_login(make_operator())
    urls = ("/admin/console/supportsession/", "/admin/console/supportpageview/")

    def add_views(count: int) -> None:
        for _ in range(count):
            organization, _owner = make_organization()
            session = SupportSession.objects.create(
                operator=make_operator(), organization=organization, reason="Ticket"
            )
            SupportPageView.objects.create(
                session=session,
                operator=session.operator,
                organization=organization,
                method="GET",
                path="/orders/",
                status_code=200,
            )

    add_views(3)
    few = [_changelist_queries(client, url) for url in urls]
    add_views(17)
    assert [_changelist_queries(client, url) for url in urls] == few


BUYER_PAGES = [
    "/dashboard/", "/team/", "/notifications/", "/rfqs/", "/rfqs/new/", "/orders/", "/finance/",
    "/designs/", "/campaigns/", "/products/", "/factories/search/", "/equipment/",
    "/equipment/alarms/",
]  # fmt: skip
FACTORY_PAGES = [
    "/dashboard/", "/team/", "/orders/", "/rfqs/", "/finance/", "/factory/profile/",
    "/factory/audit/", "/factory/capacity/", "/factory/massing/",
]  # fmt: skip


@pytest.mark.parametrize("side", ["buyer", "factory"])
def test_every_organization_page_renders_in_a_support_view(client, order, side):
    organization = order.buyer if side == "buyer" else order.factory
    pages = BUYER_PAGES if side == "buyer" else FACTORY_PAGES
    client.force_login(make_operator())
    _start(client, organization)
    banner = f"Support view of {organization.name}: read only"
    for path in [*pages, f"/orders/{order.pk}/", f"/rfqs/{order.rfq_id}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert banner in response.content.decode(), path
    assert SupportPageView.objects.filter(status_code=200).count() == len(pages) + 2


def test_a_support_view_ends_by_itself_after_two_hours(client, order):
    client.force_login(make_operator())
    _start(client, order.buyer)
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    started = SupportSession.objects.get()
    SupportSession.objects.filter(pk=started.pk).update(
        started_at=started.started_at - datetime.timedelta(hours=2, minutes=1)
    )
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert SupportSession.objects.get().ended_at is not None
    assert "console_support_view" not in client.session
    assert SupportPageView.objects.count() == 1


def test_an_operator_who_loses_the_permission_leaves_the_support_view(client, order):
    arbiter = make_operator(superuser=False, groups=["arbiter"])
    client.force_login(arbiter)
    _start(client, order.buyer)
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    arbiter.groups.clear()
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert "console_support_view" not in client.session
    assert SupportPageView.objects.count() == 1


def test_signing_out_or_starting_another_ends_the_running_support_view(client, order):
    client.force_login(make_operator())
    _start(client, order.buyer)
    _start(client, order.factory)
    first, second = SupportSession.objects.order_by("pk")
    assert first.ended_at is not None
    assert second.ended_at is None
    client.get("/orders/")
    assert SupportPageView.objects.get().organization == order.factory
    assert client.post("/accounts/logout/").status_code == 302
    second.refresh_from_db()
    assert second.ended_at is not None
