"""`manage.py seed_demo` (run by `make run`): every kind of organization, documented logins,
idempotent."""

import pytest
from django.core.management import call_command

from catalog.models import Category
from marketplace.demo import DEMO_LOGINS, DEMO_PASSWORD
from marketplace.models import Membership, Organization, User

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.date_sensitive]


def _counts():
    return (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        Category.objects.count(),
    )


def test_seed_twice_adds_nothing_the_second_time():
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert set(Organization.objects.values_list("kind", flat=True)) == set(Organization.Kind.values)
    assert Category.objects.filter(parent__isnull=True).count() >= 4
    assert Category.objects.filter(parent__isnull=False).count() >= 8


def test_documented_demo_logins_sign_in(client):
    call_command("seed_demo")
    for email, _description in DEMO_LOGINS:
        assert client.login(email=email, password=DEMO_PASSWORD), email
        client.logout()
    operator = User.objects.get(email="operator@c2m.example")
    assert operator.is_staff
    assert Membership.objects.filter(user__email="multi@c2m.example").count() == 2
