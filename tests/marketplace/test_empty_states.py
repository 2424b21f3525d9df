"""An empty list says what to do next: on every list page, a new organization with nothing
yet reads a sentence and a link to the action that fills the list, and the link works."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.models import Organization
from tests.helpers import make_organization
from tests.orders.conftest import make_category

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

ready_by = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
PAGES = {
    Organization.Kind.BUYER: [
        "/orders/",
        "/orders/?status=paid",
        "/rfqs/",
        "/messages/",
        "/designs/",
        "/campaigns/",
        "/equipment/",
        "/equipment/alarms/",
        "/service-leads/",
        "/notifications/",
        "/notifications/?show=unread",
        "/account/tokens/",
        "/products/?q=nothing-matches-this",
        "/factories/",
        f"/factories/search/?category=shirts&quantity=500&ready_by={ready_by}",
    ],
    Organization.Kind.FACTORY: [
        "/orders/",
        "/rfqs/",
        "/factory/capacity/",
        "/factory/audit/",
        "/factory/massing/",
        "/service-leads/",
        "/team/",
    ],
    Organization.Kind.SERVICE_PROVIDER: ["/service-leads/", "/orders/", "/rfqs/"],
}
SENTENCE = re.compile(r"[A-Za-z]+(?:[ ,:'’]+[A-Za-z]+){3,}")


class _EmptyStates(HTMLParser):
    """The text, links and ids of the elements marked `empty-state`, and the page's ids."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[dict] = []
        self.ids: set[str] = set()
        self._depth = 0  # open elements inside the current empty state

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if self._depth:
            self._depth += 1
            if tag == "a" and attributes.get("href"):
                self.states[-1]["links"].append(attributes["href"])
        elif "empty-state" in (attributes.get("class") or "").split():
            self._depth = 1
            self.states.append({"text": "", "links": []})

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.states[-1]["text"] += data


def _client(kind: str) -> Client:
    if kind == Organization.Kind.FACTORY:
        make_category()  # a factory page needs a category to exist
    _organization, user = make_organization(kind)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("kind", "path"), [(kind, path) for kind, paths in PAGES.items() for path in paths]
)
def test_an_empty_list_says_what_to_do_next(kind, path):
    make_category()
    client = _client(kind)
    response = client.get(path)
    assert response.status_code == 200, path
    parser = _EmptyStates()
    parser.feed(response.content.decode())
    assert parser.states, f"{path}: no empty state"
    for state in parser.states:
        text = " ".join(state["text"].split())
        assert SENTENCE.search(text), f"{path}: {text!r} is not a sentence"
        assert state["links"], f"{path}: {text!r} has no link to act on"
        for href in state["links"]:
            if href.startswith("#"):
                assert href[1:] in parser.ids, f"{path}: {href} points nowhere"
            else:
                assert client.get(href).status_code == 200, f"{path}: {href} does not open"
