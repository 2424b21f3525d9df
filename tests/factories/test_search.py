"""Capacity search: who appears, who does not, ranking, and the query budget."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from factories import selectors, services
from factories.api.views.search import SearchResultSerializer
from tests.factories.conftest import make_category, make_factory

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def search(**params):
    response = APIClient().get("/api/v1/factories/search/", params)
    assert response.status_code == 200, response.content
    return response.json()


def slugs(body) -> list[str]:
    return [result["factory"]["slug"] for result in body["results"]]


def test_search_finds_factories_with_enough_free_capacity(category, today):
    fitting, _owner = make_factory([category], units=20)
    small, _owner = make_factory([category], units=2)
    body = search(category="shirts", quantity=100, ready_by=(today + days(10)).isoformat())
    assert slugs(body) == [fitting.slug]
    result = body["results"][0]
    # 20 units a day from today; lead time 7 days: done on day 4 by capacity, day 7 by lead.
    assert result["available_units"] == 20 * 11
    assert result["earliest_completion"] == (today + days(7)).isoformat()
    assert 0 < result["score"] <= 1
    assert SearchResultSerializer(data=result).is_valid(), "the documented schema holds"
    assert result["free_capacity"]["start"] == today.isoformat()
    assert result["free_capacity"]["units"] == [20] * 30
    assert small.slug not in slugs(body)


def test_capacity_completion_date_follows_the_calendar(category, today):
    make_factory([category], units=10, standard_lead_days=1)
    body = search(category="shirts", quantity=45, ready_by=(today + days(20)).isoformat())
    assert body["results"][0]["earliest_completion"] == (today + days(4)).isoformat()


def test_moq_lead_time_verification_and_held_units_rule_factories_out(category, today):
    ok, _owner = make_factory([category], units=20)
    make_factory([category], units=20, min_order_quantity=500)
    make_factory([category], units=20, standard_lead_days=15)
    make_factory([category], units=20, verified=False)
    busy, _owner = make_factory([category], units=10, days=11)
    ready_by = today + days(10)
    services.capacity_hold(
        factory=busy,
        category=category,
        allocations={today + days(offset): 5 for offset in range(11)},
        reference="busy",
        expires_at=datetime.datetime.now(datetime.UTC) + days(1),
    )
    body = search(category="shirts", quantity=60, ready_by=ready_by.isoformat())
    assert slugs(body) == [ok.slug]


def test_other_categories_and_capacity_after_ready_by_do_not_count(today):
    shirts, jeans = make_category("s-shirts"), make_category("s-jeans")
    factory, _owner = make_factory([shirts, jeans], units=0)
    services.capacity_fill_range(
        organization=factory, category=jeans, start=today, end=today + days(29), units=100
    )
    services.capacity_fill_range(
        organization=factory,
        category=shirts,
        start=today + days(15),
        end=today + days(29),
        units=100,
    )
    assert (
        search(category="s-shirts", quantity=50, ready_by=(today + days(14)).isoformat())["results"]
        == []
    )
    later = search(category="s-shirts", quantity=50, ready_by=(today + days(20)).isoformat())
    assert slugs(later) == [factory.slug]


def test_filters_region_certification_free_sampling(category, today):
    sampler, _owner = make_factory([category], units=20, free_sampling=True, region="Guangdong")
    plain, _owner = make_factory([category], units=20, region="Zhejiang")
    services.certification_save(organization=plain, name="ISO 9001", expires_on=today + days(100))
    services.certification_save(organization=sampler, name="ISO 9001", expires_on=today - days(1))
    ready_by = (today + days(10)).isoformat()
    assert slugs(search(category="shirts", quantity=50, ready_by=ready_by, region="guangdong")) == [
        sampler.slug
    ]
    assert slugs(
        search(category="shirts", quantity=50, ready_by=ready_by, certification="iso 9001")
    ) == [plain.slug]
    assert slugs(
        search(category="shirts", quantity=50, ready_by=ready_by, free_sampling="true")
    ) == [sampler.slug]


def test_ranking_uses_the_documented_score(category, today):
    reliable, _owner = make_factory([category], units=20)
    sloppy, _owner = make_factory([category], units=20)
    services.factory_performance_update(
        factory=reliable, on_time_rate=0.98, rating=4.8, median_quote_response_hours=2
    )
    services.factory_performance_update(
        factory=sloppy, on_time_rate=0.5, rating=2.0, median_quote_response_hours=72
    )
    body = search(category="shirts", quantity=100, ready_by=(today + days(10)).isoformat())
    assert slugs(body) == [reliable.slug, sloppy.slug]
    # fit = min(220 / 200, 1) = 1; price level 3 -> 0.5; response 1 / (1 + 2/24)
    expected = 0.35 * 1 + 0.10 * 0.5 + 0.25 * 0.98 + 0.15 * 4.8 / 5 + 0.15 / (1 + 2 / 24)
    assert body["results"][0]["score"] == pytest.approx(expected, abs=1e-4)


def test_search_selector_reads_the_read_model_in_two_queries(category, today):
    for _index in range(5):
        make_factory([category], units=20)
    with CaptureQueriesContext(connection) as queries:
        results = selectors.factory_search(
            category=category, quantity=50, ready_by=today + days(10)
        )
    assert len(results) == 5
    sql = [query["sql"] for query in queries.captured_queries]
    # The ranking, then one query for the results' details; the calendar itself is never
    # read.
    assert len(sql) == 2, sql
    assert not any("factories_capacityday" in statement for statement in sql)


def _expected_ranking(category, quantity, ready_by, today, factories, start=None):
    """The ADR 0002 ranking computed the slow way, from the calendar cells."""
    from factories.models import CapacityDay, FactoryPerformance, FactoryProfile

    start = start or today
    expected = []
    for factory in factories:
        profile = FactoryProfile.objects.get(organization=factory)
        performance = FactoryPerformance.objects.filter(organization=factory).first()
        cells = CapacityDay.objects.filter(
            organization=factory, category=category, date__gte=start, date__lte=ready_by
        )
        available = sum(max(cell.units - cell.held - cell.booked, 0) for cell in cells)
        if (
            available < quantity
            or profile.min_order_quantity > quantity
            or profile.standard_lead_days > (ready_by - start).days
        ):
            continue
        merit = selectors.merit(
            price_level=profile.price_level,
            on_time_rate=performance.on_time_rate if performance else None,
            rating=performance.rating if performance else None,
            response_hours=performance.median_quote_response_hours if performance else None,
        )
        score = round(merit + 0.35 * min(available / (2 * quantity), 1), 4)
        expected.append((-score, factory.pk, available))
    return [(pk, available, -score) for score, pk, available in sorted(expected)]


def test_ranking_equals_the_calendar_computation_past_the_walk(category, today):
    """More candidates than the walk reads (100) and fits from 0.5 to 1: the band query
    must find late-merit lines whose fit lifts them into the top."""
    import random

    rng = random.Random(7)
    factories = []
    for index in range(130):
        factory, _owner = make_factory(
            [category],
            units=rng.randint(20, 45),
            price_level=1 + index % 5,
            standard_lead_days=1 + index % 5,
        )
        services.factory_performance_update(
            factory=factory,
            on_time_rate=round(rng.uniform(0.5, 1.0), 3),
            rating=round(rng.uniform(2.0, 5.0), 1),
            median_quote_response_hours=round(rng.uniform(0.5, 48.0), 1),
        )
        factories.append(factory)
    ready_by = today + days(10)
    # 250 units: fits from 0.5 to 1; 200: most fits near 1, the band's slices ask more.
    for quantity, limit in itertools.product((250, 200), (1, 5, 50)):
        expected = _expected_ranking(category, quantity, ready_by, today, factories)
        assert len(expected) > 100
        with CaptureQueriesContext(connection) as queries:
            results = selectors.factory_search(
                category=category, quantity=quantity, ready_by=ready_by, limit=limit
            )
        assert len(queries) == 2  # the ranking (head and band), the results' details
        got = [(r.factory.pk, r.available_units) for r in results]
        assert got == [(pk, available) for pk, available, _score in expected[:limit]]
        # The database rounds the decimal form, Python the binary one: last digit may differ.
        assert [r.score for r in results] == pytest.approx(
            [score for _pk, _available, score in expected[:limit]], abs=1.1e-4
        )


def test_ranking_equals_the_calendar_computation_through_the_band(category, today):
    """Merits close together and no fit above 0.77: the walk's 100 lines cannot settle the
    top, so the band runs (in the ranking's statement), slice by slice, each asking for more
    free units the lower its merit. It must find exactly the brute-force ranking."""
    import random

    rng = random.Random(11)
    factories = []
    for _index in range(180):
        factory, _owner = make_factory(
            [category], units=rng.randint(23, 45), price_level=3, standard_lead_days=2
        )
        services.factory_performance_update(
            factory=factory,
            on_time_rate=round(rng.uniform(0.80, 0.90), 3),
            rating=round(rng.uniform(4.0, 4.5), 1),
            median_quote_response_hours=round(rng.uniform(2.0, 4.0), 1),
        )
        factories.append(factory)
    # 13 days from today, against the pruning horizon's 14: its bound on the free units is
    # close, so a slice asking too much would miss a winner.
    ready_by = today + days(12)
    for quantity, limit in itertools.product((380, 400), (1, 5, 50)):
        expected = _expected_ranking(category, quantity, ready_by, today, factories)
        assert len(expected) > 100
        _assert_found_through_the_band(category, quantity, ready_by, limit, expected)


def _assert_found_through_the_band(category, quantity, ready_by, limit, expected) -> list[int]:
    """`factory_search` finds the `expected` ranking's top `limit` in two queries (the
    ranking, head and band in one statement, and the results' details); returns the
    factories found, best first."""
    with CaptureQueriesContext(connection) as queries:
        results = selectors.factory_search(
            category=category, quantity=quantity, ready_by=ready_by, limit=limit
        )
    assert len(queries) == 2
    got = [(r.factory.pk, r.available_units) for r in results]
    assert got == [(pk, available) for pk, available, _score in expected[:limit]]
    return [pk for pk, _available in got]


def test_the_band_raises_its_bar_slice_by_slice_and_still_finds_every_winner(category, today):
    """The head's 100 best merits fit only 0.5, so its top sets a low bar. The band's first
    slice holds lines of better score that raise it; lower slices then ask for more free
    units: a line that beats only the head's bar is left, and a line far below in merit
    that beats the raised bar by a few units is still found (a bar raised too far, or a
    slice asking its lowest merit's units, misses it). Checked against the brute-force
    ranking."""
    quantity, ready_by = 100, today + days(9)  # ten days: `units` a day gives 10 x units

    def factories_with(count: int, *, on_time_rate: float, units: int) -> list:
        made = []
        for _index in range(count):
            factory, _owner = make_factory(
                [category], units=units, price_level=3, standard_lead_days=2
            )
            services.factory_performance_update(
                factory=factory,
                on_time_rate=on_time_rate,
                rating=4.0,
                median_quote_response_hours=4.0,
            )
            made.append(factory)
        return made

    head = factories_with(100, on_time_rate=1.0, units=10)  # merit m, fit 0.5
    raising = factories_with(5, on_time_rate=0.9, units=16)  # m - 0.025, fit 0.8
    far_winner = factories_with(1, on_time_rate=0.7, units=19)  # m - 0.075, fit 0.95
    beaten = factories_with(3, on_time_rate=0.6, units=17)  # m - 0.1, fit 0.85
    factories = head + raising + far_winner + beaten
    expected = _expected_ranking(category, quantity, ready_by, today, factories)
    for limit in (1, 5):
        _assert_found_through_the_band(category, quantity, ready_by, limit, expected)
    top = _assert_found_through_the_band(category, quantity, ready_by, 6, expected)
    assert top[0] == far_winner[0].pk
    assert set(top[1:]) == {factory.pk for factory in raising}


def test_with_sample_production_starts_after_the_sample_days(category, today, settings):
    settings.ORDERS_SAMPLE_LEAD_DAYS = 3
    factory, _owner = make_factory([category], units=20, standard_lead_days=1)
    body = search(
        category="shirts", quantity=100, ready_by=(today + days(9)).isoformat(), with_sample=True
    )
    result = body["results"][0]
    assert result["available_units"] == 20 * 7  # days 3..9
    # 100 units: days 3, 4, 5, 6, 7 -> day 7.
    assert result["earliest_completion"] == (today + days(7)).isoformat()
    body = search(
        category="shirts", quantity=150, ready_by=(today + days(9)).isoformat(), with_sample=True
    )
    assert body["results"] == []
    without_sample = search(category="shirts", quantity=150, ready_by=(today + days(9)).isoformat())
    assert slugs(without_sample) == [factory.slug]


def test_api_search_is_one_query_plus_the_category(category, today):
    for _index in range(6):
        make_factory([category], units=20)
    client = APIClient()
    params = {"category": "shirts", "quantity": 50, "ready_by": (today + days(10)).isoformat()}
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/factories/search/", params)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 6
    sql = [query["sql"] for query in queries.captured_queries]
    # The category slug lookup (Redis holds the map after the first search), the page.
    assert len(sql) <= 2, sql


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"quantity": 10, "ready_by": "2099-01-01"}, "category"),
        ({"category": "nope", "quantity": 10, "ready_by": "2099-01-01"}, "category"),
        ({"category": "shirts", "quantity": 0, "ready_by": "2099-01-01"}, "quantity"),
        ({"category": "shirts", "quantity": 10, "ready_by": "tomorrow"}, "ready_by"),
        ({"category": "shirts", "quantity": 10, "ready_by": "2001-01-01"}, "ready_by"),
    ],
)
def test_bad_search_input_is_400_with_field_errors(category, params, field):
    response = APIClient().get("/api/v1/factories/search/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_search_page_shows_results_with_a_chart(client, category, today):
    factory, _owner = make_factory([category], units=20)
    response = client.get(
        "/factories/search/",
        {"category": "shirts", "quantity": 50, "ready_by": (today + days(10)).isoformat()},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert factory.name in html
    assert "<svg" in html
    assert "sparkline" in html


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def test_a_search_nobody_can_satisfy_reads_only_the_pruning_index(category, today):
    """The head decides from the pruning index inside the statement: when no line can make
    the quantity, the merit walk never runs, whatever the planner estimated."""
    for _index in range(3):
        make_factory([category], units=20)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE factories_capacityline")
    ready_by = today + days(12)
    parameters = {
        "category": category.pk,
        "quantity": 2000,  # 13 days x 20 units: nobody
        "ready_by": ready_by,
        "start": today,
        "lead_budget": 12,
        "pruning_index": selectors._pruning_index(12),
        "fit_weight": selectors.SCORE_WEIGHTS["fit"],
        "head": 100,
        "limit": 50,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Three lines fit in one page, where a sequential scan costs the planner the same
        # as the index: take that choice away, as a category of thousands of lines does.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + selectors._HEAD.format(filters=""), parameters
        )
        plan = cursor.fetchone()[0][0]["Plan"]
    scans = [
        node for node in _plan_nodes(plan) if node.get("Relation Name") == "factories_capacityline"
    ]
    executed = [node for node in scans if node.get("Actual Loops")]
    assert len(scans) == 2, "the pruned set and the merit walk"
    assert len(executed) == 1, "only the pruned set is read"
    assert executed[0]["Actual Rows"] == 0
    indexes = {node.get("Index Name", "") for node in _plan_nodes(executed[0])}
    assert any(name.startswith("capacity_line_free") for name in indexes), indexes
    assert (
        selectors.search_rank(
            category=category, quantity=2000, ready_by=ready_by, start=today, today=today
        )
        == []
    )


@pytest.fixture
def band_market(category, today):
    """180 factories whose merits lie close together and whose fits are mediocre (the walk
    cannot settle the top, so the band runs), and 24 of lower merit with room for large
    orders (they win by fit, and set the ceiling). Each publishes `units` a day for
    `published` days from today, nothing held: its free units are known without the
    calendar. Set up once per test; hypothesis varies the searches."""
    import random

    rng = random.Random(23)
    made = []
    for index in range(204):
        strong = index < 180
        units, published = rng.randint(23, 45), rng.choice([12, 16, 21, 30])
        if not strong:
            units, published = rng.randint(50, 90), rng.choice([14, 30])
        factory, _owner = make_factory(
            [category], units=units, days=published, price_level=3, standard_lead_days=2
        )
        figures = {
            "on_time_rate": round(rng.uniform(0.80, 0.90) if strong else rng.uniform(0.5, 0.7), 3),
            "rating": round(rng.uniform(4.0, 4.5) if strong else rng.uniform(3.0, 3.6), 1),
            "median_quote_response_hours": round(rng.uniform(2.0, 4.0), 1),
        }
        services.factory_performance_update(factory=factory, **figures)
        merit = selectors.merit(
            price_level=3,
            on_time_rate=figures["on_time_rate"],
            rating=figures["rating"],
            response_hours=figures["median_quote_response_hours"],
        )
        made.append((factory.pk, units, published, merit))
    return category, made


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    quantity=st.integers(200, 1200),
    window=st.integers(8, 29),
    limit=st.sampled_from([1, 5, 20, 50]),
)
def test_no_factory_that_scores_into_the_top_is_missed(band_market, today, quantity, window, limit):
    """Whatever the search, the ranking (head, ceiling, band) returns as many results as
    the brute force finds, up to `limit`, and no factory it leaves out scores above one it
    returns (beyond the last digit, which the database rounds from the decimal form)."""
    category, made = band_market
    ready_by = today + days(window)
    scores = {}
    for pk, units, published, merit in made:
        available = units * min(published, window + 1)
        if available >= quantity:
            scores[pk] = round(merit + 0.35 * min(available / (2 * quantity), 1), 4)
    found = selectors.factory_search(
        category=category, quantity=quantity, ready_by=ready_by, limit=limit
    )
    got = [result.factory.pk for result in found]
    assert len(got) == min(limit, len(scores))
    assert set(got) <= set(scores)
    if got:
        lowest_returned = min(scores[pk] for pk in got)
        left_out = [scores[pk] for pk in scores if pk not in set(got)]
        assert all(score <= lowest_returned + 1.1e-4 for score in left_out)
