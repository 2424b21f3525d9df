import pytest
from celery.result import AsyncResult

from marketplace.models import Organization
from marketplace.tasks import ping_task
from tests.conftest import browser_sign_in
from tests.helpers import PASSWORD, make_organization

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.celery_worker
def test_real_worker_runs_a_task(celery_worker):
    result: AsyncResult = ping_task.delay(41)
    assert result.get(timeout=30) == 42


@pytest.mark.browser
def test_browser_signs_in_and_sees_dashboard(page):
    _organization, owner = make_organization(Organization.Kind.BUYER, name="Lotus Buyers")
    browser_sign_in(page, owner.email, PASSWORD)
    assert page.url.endswith("/dashboard/")
    assert "Lotus Buyers" in page.content()
