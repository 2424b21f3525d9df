"""The search API's page, built by PostgreSQL (`selectors.factory_search_page`), equals the
page built in Python from `factory_search` (the search the pages run): every field of every
result, over many searches, languages and factories' figures, and the rounding and number
formatting it copies from Python, value by value (docs/adr/0005)."""

from __future__ import annotations

import datetime
import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from factories import selectors
from factories.models import CapacityLine, FactoryPerformance
from marketplace.models import Organization
from tests.api.test_schema_conformance import assert_matches_schema
from tests.factories.conftest import make_category, make_factory

# Dates from today: the windows cross the end of February and the new year under `--today`.
pytestmark = pytest.mark.date_sensitive

DAY = datetime.timedelta(days=1)

# Figures at the edges of Python's rounding: exact binary halves (4.25, 2.25, 0.125), decimal
# halves that binary floats miss on either side (0.845, 0.00625 = 1/160, 0.84545), and others.
TIES = [0.845, 0.00625, 0.84545, 0.125, 0.03125, 0.5, 1 / 3, 2 / 3, 0.7, 0.0, 1.0, 0.99995]
RATINGS = [4.25, 2.25, 4.35, 3.05, 0.05, 4.75, 5.0, 0.0, 3.14159, 4.45, 2.675]
HOURS = [2.25, 0.05, 0.25, 1.45, 24.0, 0.0, 0.15, 72.5, 1000.05, 9.95, 3.3333]


def python_page(lang: str, **search) -> dict:
    """The page built in Python: `factory_search`'s results as the API's documented dicts."""
    with translation.override(lang):
        start = timezone.localdate().isoformat()
        results = [_result_body(result, start) for result in selectors.factory_search(**search)]
    return {"count": len(results), "next": None, "previous": None, "results": results}


def _result_body(result: selectors.SearchResult, start: str) -> dict:
    profile, performance = result.profile, result.performance
    return {
        "factory": {
            "id": result.factory.pk,
            "slug": result.factory.slug,
            "name": result.factory.name,
            "verified": result.factory.verified,
            "region": profile.region,
            "city": profile.city,
            "min_order_quantity": profile.min_order_quantity,
            "standard_lead_days": profile.standard_lead_days,
            "free_sampling": profile.free_sampling,
            "price_level": profile.price_level,
            "on_time_rate": performance.on_time_rate if performance else None,
            "rating": performance.rating if performance else None,
            "url": f"/factories/{result.factory.pk}/",
        },
        "available_units": result.available_units,
        "earliest_completion": result.earliest_completion.isoformat(),
        "score": result.score,
        "score_components": [
            {
                "key": part.key,
                "label": part.label,
                "weight": part.weight,
                "value": part.value,
                "points": part.points,
                "estimated": part.estimated,
                "detail": part.detail,
            }
            for part in result.components
        ],
        "free_capacity": {"start": start, "units": [point["free"] for point in result.series]},
    }


def api_page(lang: str, **params) -> dict:
    response = APIClient().get("/api/v1/factories/search/", params, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def assert_same_page(api: dict, python: dict) -> None:
    """Field by field (numbers as numbers: JSON's 1 and 1.0 are equal), with the first
    difference named."""
    assert api.keys() == python.keys()
    assert (api["count"], api["next"], api["previous"]) == (
        python["count"],
        python["next"],
        python["previous"],
    )
    assert len(api["results"]) == len(python["results"]) == api["count"]
    for got, expected in zip(api["results"], python["results"], strict=True):
        assert list(got) == list(expected)
        for key in expected:
            if key == "score_components":
                assert len(got[key]) == len(expected[key])
                for part, wanted in zip(got[key], expected[key], strict=True):
                    assert list(part) == list(wanted)
                    for name in wanted:
                        assert part[name] == wanted[name], (expected["factory"]["id"], name, part)
            elif isinstance(expected[key], dict):
                assert list(got[key]) == list(expected[key])
                for name in expected[key]:
                    assert got[key][name] == expected[key][name], (key, name)
            else:
                assert got[key] == expected[key], (expected["factory"]["id"], key)
    assert api == python


def _figures(index: int, rng: random.Random) -> dict | None:
    """Factory `index`'s performance: none at all for every sixth, else ties and random
    values, some of them unknown."""
    if index % 6 == 0:
        return None
    return {
        "on_time_rate": None
        if index % 11 == 3
        else (TIES[index // 2 % len(TIES)] if index % 2 else rng.random()),
        "rating": None
        if index % 5 == 1
        else (RATINGS[index % len(RATINGS)] if index % 3 else rng.uniform(0, 5)),
        "median_quote_response_hours": None
        if index % 7 == 2
        else (HOURS[index % len(HOURS)] if index % 4 else rng.uniform(0, 500)),
    }


@pytest.fixture
def factories(today):
    """36 factories of one category: units from 8 to 60 a day for 12 to 30 days, every
    price level, lead times 1 to 9 days, minimum orders 1 to 300, and performance figures
    at Python's rounding ties, random, partly unknown or missing. Set up once per test:
    a search reads them (hypothesis varies the searches, not the rows: rewriting the
    lines' merit for every example would bloat their indexes for the other tests)."""
    category = make_category("page-shirts")
    rng = random.Random(13)
    made = []
    for index in range(36):
        factory, _owner = make_factory(
            [category],
            units=rng.choice([8, 15, 25, 40, 60]),
            days=rng.choice([12, 20, 30]),
            price_level=1 + index % 5,
            standard_lead_days=1 + index % 9,
            min_order_quantity=rng.choice([1, 1, 50, 300]),
        )
        # Names JSON must escape: quotes, a backslash, a line separator, non-ASCII.
        Organization.objects.filter(pk=factory.pk).update(
            name=f'Factory {index} “宁波” \\ "quoted" \u2028 line'
        )
        figures = _figures(index, rng)
        if figures is None:
            FactoryPerformance.objects.filter(organization=factory).delete()
        else:
            FactoryPerformance.objects.update_or_create(organization=factory, defaults=figures)
        made.append(factory)
    return category, made


def _compare(category, lang: str, **search) -> dict:
    expected = python_page(lang, category=category, **search)
    got = api_page(
        lang,
        category=category.slug,
        **{key: value.isoformat() if key == "ready_by" else value for key, value in search.items()},
    )
    assert_same_page(got, expected)
    return got


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    quantity=st.one_of(st.integers(1, 3000), st.sampled_from([16, 160, 333, 500, 10000])),
    days=st.integers(1, 40),
    with_sample=st.booleans(),
    lang=st.sampled_from(["en", "zh-hans"]),
    limit=st.sampled_from([1, 5, 20, 50, 100]),
    free_sampling=st.sampled_from([None, True, False]),
)
@pytest.mark.django_db
def test_the_database_page_equals_the_python_page(
    factories, quantity, days, with_sample, lang, limit, free_sampling
):
    category, _made = factories
    search = {
        "quantity": quantity,
        "ready_by": timezone.localdate() + days * DAY,
        "with_sample": with_sample,
        "limit": limit,
    }
    if free_sampling is not None:
        search["free_sampling"] = free_sampling
    _compare(category, lang, **search)


@pytest.mark.django_db
def test_ties_of_the_brief_in_both_languages(factories, today):
    """The figures at the ties named when this was built (rating 4.25, hours 2.25, on-time
    0.845, 1/160), and factories without history, on pages with results."""
    category, _made = factories
    components = []
    for lang in ("en", "zh-hans"):
        for quantity, days in ((100, 20), (160, 25), (333, 29), (16, 10)):
            got = _compare(category, lang, quantity=quantity, ready_by=today + days * DAY)
            assert got["count"] > 10
            components += [part for result in got["results"] for part in result["score_components"]]
    # round(0.845, 4) is 0.845; round(1/160, 4) is 0.0063 (the float is above the half)
    assert {part["value"] for part in components if part["key"] == "on_time"} >= {0.845, 0.0063}
    assert any(part["detail"].startswith("4.2 ") for part in components)  # 4.25 -> "4.2"
    assert any(part["estimated"] for part in components)
    assert got["results"][0]["score_components"][0]["detail"].startswith("空闲")


@pytest.mark.django_db
def test_lines_whose_window_does_not_start_today(factories, today):
    """Before the daily roll a line starts yesterday (and a test clock may put it ahead):
    the units from today and the completion day still match."""
    category, _made = factories
    for shift in (-1, 2):
        CapacityLine.objects.filter(category=category).update(window_start=today + shift * DAY)
        for quantity, days in ((100, 20), (500, 29), (60, 6)):
            _compare(category, "en", quantity=quantity, ready_by=today + days * DAY)


@pytest.mark.django_db
def test_a_translation_may_reorder_the_fields_and_escape_percent(factories, today, monkeypatch):
    category, _made = factories
    texts = selectors.score_texts()
    reordered = {
        **texts,
        "fit_detail": '%(quantity)d ordered; %(free)d free (100%% "sure")',
        "on_time_detail": "on time: %(percent)d%%, again %(percent)d",
        "rating_detail": "no figure here",
        "response": 'Quote "response" \\ ',
    }
    monkeypatch.setattr(selectors, "score_texts", lambda: reordered)
    # The page's texts are worked out once per process and language: start from the new ones.
    selectors._page_texts_cache_clear()
    try:
        ready_by = today + 20 * DAY
        expected = python_page("en", category=category, quantity=100, ready_by=ready_by)
        assert expected["count"] > 0
        got = api_page("en", category=category.slug, quantity=100, ready_by=ready_by.isoformat())
        assert_same_page(got, expected)
        assert got["results"][0]["score_components"][0]["detail"].startswith("100 ordered; ")
    finally:
        selectors._page_texts_cache_clear()


@pytest.mark.django_db
def test_a_result_whose_capacity_went_between_the_reads_is_dropped(factories, today, monkeypatch):
    """`factory_search` reads twice, the ranking and then the results' details: a line it
    ranked that no longer covers the quantity at the second read has no completion day and
    is left out of the results. The API's page ranks and builds the results in one
    statement, one snapshot: the line is not ranked at all, and both pages agree."""
    category, _made = factories
    ready_by = today + 20 * DAY
    ranking = selectors._search_ranked(
        category=category,
        quantity=100,
        ready_by=ready_by,
        region=None,
        certification=None,
        free_sampling=None,
        with_sample=False,
        limit=50,
    )
    gone = ranking[2][0].organization_id
    CapacityLine.objects.filter(organization_id=gone).update(free=[0] * 30, cumulative=[0] * 31)
    with monkeypatch.context() as patched:
        patched.setattr(selectors, "_search_ranked", lambda **kwargs: ranking)
        stale = python_page("en", category=category, quantity=100, ready_by=ready_by)
    assert gone not in [result["factory"]["id"] for result in stale["results"]]
    assert stale["count"] == len(ranking[2]) - 1
    expected = python_page("en", category=category, quantity=100, ready_by=ready_by)
    got = api_page("en", category=category.slug, quantity=100, ready_by=ready_by.isoformat())
    assert gone not in [result["factory"]["id"] for result in got["results"]]
    assert_same_page(got, expected)


@pytest.mark.django_db
def test_line_separators_in_the_page_are_escaped_as_drf_escapes_them(factories, today):
    """The page's bytes pass through the renderer unchanged but for U+2028 and U+2029,
    which DRF writes as escapes so that the body stays a strict JavaScript subset."""
    category, _made = factories
    response = APIClient().get(
        "/api/v1/factories/search/",
        {"category": category.slug, "quantity": 100, "ready_by": (today + 20 * DAY).isoformat()},
    )
    assert response.status_code == 200
    assert "\u2028".encode() not in response.content
    assert b'\\u2028 line"' in response.content
    assert response.json()["results"][0]["factory"]["name"].endswith("\u2028 line")


@pytest.mark.django_db
def test_the_page_is_one_statement_ranking_included(factories, today):
    category, _made = factories
    with CaptureQueriesContext(connection) as queries:
        count, results = selectors.factory_search_page(
            category=category, quantity=100, ready_by=today + 20 * DAY
        )
    assert count > 0
    assert results.startswith("[{")
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 1, statements  # head, band and page
    assert statements[0].lstrip().startswith("WITH head AS MATERIALIZED")


def _sql_values(expression: str, values: list[float]) -> list[str]:
    with connection.cursor() as cursor:
        # The SQL under test, values bound.
        sql = f"SELECT {expression} FROM unnest(%s::float8[]) WITH ORDINALITY AS t(x, n)"  # noqa: S608
        cursor.execute(sql + " ORDER BY t.n", [values])
        return [row[0] for row in cursor.fetchall()]


def _edge_values() -> list[float]:
    """Decimal halves at 4 and 1 decimals, the floats either side of them, the ties named
    above, and random values of each figure's range."""
    rng = random.Random(5)
    values = [*TIES, *RATINGS, *HOURS]
    for odd in range(1, 20000, 2):
        values.append(odd / 20000)
    for odd in range(1, 200, 2):
        values.append(odd / 20)
    values += [k / 160 for k in range(161)] + [k / 32 for k in range(33)]
    values += [
        available / (2 * quantity)
        for quantity in (16, 160, 333)
        for available in range(quantity, 2 * quantity + 1, 7)
    ]
    values += [rng.random() for _ in range(2000)] + [rng.uniform(0, 500) for _ in range(500)]
    around = [math.nextafter(value, 2.0) for value in values]
    around += [math.nextafter(value, -1.0) for value in values if value > 0]
    return values + around


@pytest.mark.django_db
def test_rounding_to_four_decimals_is_pythons():
    values = _edge_values()
    weights = list(selectors.SCORE_WEIGHTS.values())
    values += [weight * value for weight in weights for value in values[:3000]]
    got = _sql_values(selectors._rounded_sql("t.x"), values)
    mismatches = [
        (x, text, round(x, 4))
        for x, text in zip(values, got, strict=True)
        if float(text) != round(x, 4)
    ]
    assert not mismatches, mismatches[:10]
    # Plain round(x * 10000) in float8 would not do: the test sees the difference.
    plain = _sql_values("(round(t.x * 10000) / 10000)::text", values)
    assert any(float(text) != round(x, 4) for x, text in zip(values, plain, strict=True))


@pytest.mark.django_db
def test_one_decimal_is_pythons_format():
    values = [value for value in _edge_values() if value >= 0]
    got = _sql_values(selectors._one_decimal_sql("t.x"), values)
    mismatches = [(x, text) for x, text in zip(values, got, strict=True) if text != f"{x:.1f}"]
    assert not mismatches, mismatches[:10]


def test_template_pieces():
    assert selectors.template_pieces("%(free)d units free for %(quantity)d ordered") == (
        ["", " units free for ", " ordered"],
        ["free", "quantity"],
    )
    assert selectors.template_pieces("%(percent)d%% of orders on time") == (
        ["", "% of orders on time"],
        ["percent"],
    )
    assert selectors.template_pieces("100%%") == (["100%"], [])
    for refused in ("%d units", "%(free)5d", "50% off", "%(free)f"):
        with pytest.raises(ValueError, match="unsupported"):
            selectors.template_pieces(refused)
    template = "%(quantity)d ordered, %%(free)s is not a field, %(free)d free"
    pieces, names = selectors.template_pieces(template)
    values = {"quantity": 7, "free": 9}
    rebuilt = pieces[0] + "".join(
        str(values[name]) + piece for name, piece in zip(names, pieces[1:], strict=True)
    )
    assert rebuilt == template % values


@pytest.mark.django_db
def test_the_page_matches_the_documented_schema(factories, today):
    category, _made = factories
    ready_by = (today + 20 * DAY).isoformat()
    path = f"/api/v1/factories/search/?category={category.slug}&quantity=100&ready_by={ready_by}"
    assert_matches_schema(APIClient(), path, "/api/v1/factories/search/")


@pytest.mark.django_db
def test_the_browsable_api_still_shows_the_page(factories, today):
    """Content negotiation is DRF's: a browser asking for HTML gets the browsable API, with
    the page rendered as DRF would render it (indented)."""
    category, _made = factories
    params = {"category": category.slug, "quantity": 100, "ready_by": today + 20 * DAY}
    response = APIClient().get("/api/v1/factories/search/", params, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "&quot;score_components&quot;: [" in response.content.decode()
