"""Organization creation under concurrency: same-named sign-ups at once all succeed."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from marketplace import services
from marketplace.models import Membership, Organization
from tests.helpers import connect_before_the_race, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_same_name_signups_get_distinct_slugs():
    owners = [make_user() for _person in range(8)]
    barrier = threading.Barrier(len(owners))
    errors: list[BaseException] = []

    def sign_up(owner):
        try:
            connect_before_the_race(barrier)
            services.organization_create(name="Lotus Apparel", kind="buyer", owner=owner)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    slugs = sorted(Organization.objects.values_list("slug", flat=True))
    assert len(set(slugs)) == 8
    assert "lotus-apparel" in slugs
    assert Membership.objects.filter(role="owner").count() == 8


def test_an_explicit_taken_slug_is_a_field_error_and_writes_nothing():
    first = make_user()
    services.organization_create(name="A", kind="buyer", owner=first, slug="taken")
    second = make_user()
    with pytest.raises(ValidationError) as raised:
        services.organization_create(name="B", kind="factory", owner=second, slug="taken")
    assert "slug" in raised.value.message_dict
    assert not Membership.objects.filter(user=second).exists()
    assert Organization.objects.count() == 1


def test_names_without_latin_letters_still_get_a_slug():
    owner = make_user()
    organization = services.organization_create(name="宁波服装厂", kind="factory", owner=owner)
    assert organization.slug.startswith("org")
    assert organization.name == "宁波服装厂"
