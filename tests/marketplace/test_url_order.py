"""The URL configuration puts the API first (and equipment first inside it) so the hottest
request, telemetry, is matched after few patterns. That is only safe while no two routes
can match the same path: then their order decides nothing. Every route's sample path must
be matched by that route alone."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

SAMPLES = {
    "int": "7",
    "slug": "a-slug",
    "str": "a-str",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "path": "a/path",
}


def _leaves(patterns, prefix: str = ""):
    for pattern in patterns:
        route = pattern.pattern
        if isinstance(route, RoutePattern):
            text = re.sub(
                r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "x"), str(route)
            )
        else:
            text = None  # a regex route: its sample is not derived
        if isinstance(pattern, URLResolver):
            if text is not None:
                yield from _leaves(pattern.url_patterns, prefix + text)
        elif isinstance(pattern, URLPattern) and text is not None:
            yield pattern, prefix + text


def test_every_api_route_is_the_only_match_of_its_path():
    resolver = get_resolver()
    leaves = list(_leaves(resolver.url_patterns))
    api = [(pattern, path) for pattern, path in leaves if path.startswith("api/")]
    assert any(path == "api/v1/telemetry/" for _pattern, path in api)
    for pattern, path in api:
        matched = resolver.resolve("/" + path)
        assert matched.func == pattern.callback or matched.url_name == pattern.name, path
        # No route elsewhere in the tree matches it either (so moving the API first moved
        # no request from one view to another).
        others = [
            other.name
            for other, _path in leaves
            if other is not pattern and _matches(resolver, other, "/" + path)
        ]
        assert not others, (path, others)


def _matches(resolver, pattern, path: str) -> bool:
    for candidate in _chains(resolver.url_patterns, pattern):
        rest = path.lstrip("/")
        for step in candidate:
            found = step.pattern.match(rest)
            if not found:
                break
            rest = found[0]
        else:
            return True  # the endpoint's own match is a full one
    return False


def _chains(patterns, target, chain=()):
    for pattern in patterns:
        if pattern is target:
            yield (*chain, pattern)
        elif isinstance(pattern, URLResolver):
            yield from _chains(pattern.url_patterns, target, (*chain, pattern))
