"""A tour of every page a visitor, a buyer and a factory can reach from the demo data:
in Simplified Chinese no page shows an English sentence that is not user content, and at
390 px (a phone) no page is wider than the screen.

The pages are found by following links from the home page and the dashboard, so a new page
joins the tour as soon as something links to it.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from marketplace.demo import DEMO_PASSWORD
from marketplace.models import User
from tests.conftest import browser_sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROLES = {
    "visitor": None,
    "buyer": "buyer@c2m.example",
    "factory": "factory@c2m.example",
    "service provider": "service@c2m.example",
}
# Links a tour does not follow: other sites, actions, files, the admin and the API.
SKIP = re.compile(
    r"^/(admin|api|accounts/(logout|password|email|3rdparty|social|2fa|reauthenticate)|i18n|"
    r"static|media|healthz|__)|\.(csv|pdf|png|svg|json|txt|zip)$|/(export|download|file|files|"
    r"barcode|barcodes|labels|receipt)(/|$)|[?&](format|export)="
)
MAX_PAGES_PER_ROLE = 120
SAME_SHAPE = 2  # pages whose paths differ only in numbers: visit this many of each
# Words that may stay in Latin letters in the Chinese interface: brands, units, codes.
ALLOWED_WORDS = {
    "c2m", "aql", "cny", "usd", "eur", "api", "csv", "pdf", "png", "jpeg", "webp", "url",
    "stripe", "oeko", "tex", "iso", "pcs", "kg", "mm", "cm", "kw", "hz", "btu", "rfq", "po",
    "id", "ok", "htmx", "json", "email", "https", "http", "www", "swagger", "redoc", "openapi",
    "totp", "token", "sku", "moq", "gmv", "ce", "sgs", "bsci", "gots", "fsc", "ul", "rohs",
}  # fmt: skip
ENGLISH_SENTENCE = re.compile(r"[A-Za-z][A-Za-z'’-]+(?:[ ,:]+[A-Za-z][A-Za-z'’-]+){2,}")


class _Text(HTMLParser):
    """The visible text and the links of a page (no scripts, styles or hidden templates)."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for name in ("title", "placeholder", "aria-label", "alt"):
            if attributes.get(name):
                self.parts.append(attributes[name])
        if tag == "input" and attributes.get("type") in {"submit", "button"}:
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def _parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0])


def _crawl(client) -> list[str]:
    """Every page reachable by links from `/` and `/dashboard/` that answers 200 HTML."""
    queue, seen, shapes, pages = ["/", "/dashboard/"], set(), {}, []
    while queue and len(pages) < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        shape = _shape(path)
        if shapes.get(shape, 0) >= SAME_SHAPE:
            continue
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        pages.append(path)
        for href in _parse(response.content.decode()).links:
            href = href.split("#")[0]
            if href.startswith("/") and not href.startswith("//") and not SKIP.search(href):
                queue.append(href)
    return pages


# Text the platform writes (not people): it must be shown in the reader's language.
SYSTEM_TEXT = {
    "marketplace.Notification": {"title", "body"},
    "orders.OrderEvent": {"note"},
    "factories.ReservationEvent": {"note"},
    "iot_gateway.Alarm": {"message"},
    "iot_gateway.AlarmEvent": {"note"},
    "iot_gateway.ServiceLead": {"title", "evidence"},
    "finance.JournalTransaction": {"memo"},
    "customization.Campaign": {"outcome"},
}
NOT_CONTENT_APPS = {
    "sessions",
    "admin",
    "auth",
    "contenttypes",
    "django_celery_beat",
    "mfa",
    "console",
}


def _user_content() -> list[str]:
    """Every text the demo's people typed (names, titles, specs, notes...), longest first:
    user content stays in the language it was written in."""
    texts: set[str] = set()

    def collect(value):
        if isinstance(value, str):
            if len(value) > 2:
                texts.add(value.strip())
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    kinds = (models.CharField, models.TextField, models.JSONField, models.EmailField)
    for model in apps.get_models():
        system = SYSTEM_TEXT.get(model._meta.label, set())
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, kinds) and field.name not in system
        ]
        if not fields or model._meta.app_label in NOT_CONTENT_APPS:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                collect(value)
    return sorted(texts, key=len, reverse=True)


def _english_sentences(text: str, user_content: list[str]) -> list[str]:
    for typed in user_content:
        if typed in text:
            text = text.replace(typed, " | ")
    everything_typed = "\n".join(user_content)
    found = []
    for match in ENGLISH_SENTENCE.finditer(text):
        if match.group() in everything_typed:
            continue  # a shortened quote of user content ("Our spring collection was…")
        words = re.findall(r"[A-Za-z]+", match.group())
        if any(word.lower() not in ALLOWED_WORDS for word in words):
            found.append(match.group())
    return found


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    yield
    # The demo's telemetry is committed into the raw partitioned table, which Django's flush
    # does not know (it is not a model): empty it so later tests start clean.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE iot_gateway_reading")


def _client_for(client, email: str | None):
    client.logout()
    if email:
        client.force_login(User.objects.get(email=email))
    client.cookies["django_language"] = "zh-hans"
    return client


def test_no_chinese_page_shows_an_english_sentence(demo, client):
    user_content = _user_content()
    problems: dict[str, list[str]] = {}
    toured = 0
    for role, email in ROLES.items():
        client = _client_for(client, email)
        for path in _crawl(client):
            toured += 1
            page = client.get(path).content.decode()
            assert '<html lang="zh-hans">' in page, path
            sentences = _english_sentences(" | ".join(_parse(page).parts), user_content)
            if sentences:
                problems[f"{role} {path}"] = sorted(set(sentences))[:8]
    print(f"\ntoured {toured} pages in Chinese")
    assert toured >= 30, f"the tour reached only {toured} pages"
    assert problems == {}, "\n".join(f"{page}: {found}" for page, found in problems.items())


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_no_page_is_wider_than_a_390_px_phone(demo, client, browser, live_server, language):
    problems: dict[str, int] = {}
    toured = 0
    for role, email in ROLES.items():
        paths = _crawl(_client_for(client, email))
        context = browser.new_context(
            base_url=live_server.url, locale=language, viewport={"width": 390, "height": 844}
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            if email:
                browser_sign_in(page, email, DEMO_PASSWORD)
            for path in paths:
                page.goto(path)
                toured += 1
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > 390:
                    problems[f"{role} {path}"] = width
        finally:
            context.close()
    assert toured >= 30, f"the tour reached only {toured} pages"
    assert problems == {}, f"pages wider than 390 px: {problems}"
