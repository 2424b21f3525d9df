"""Request bodies the API accepts: JSON with bounded size and depth, text that can be encoded.

DRF's JSONParser hands any body to `json.loads`: 50,000 nested arrays raise RecursionError
(a 500), a multi-megabyte body is read whole, and a lone surrogate (`"\\ud800"`) becomes a
Python string that no error message echoing it can encode. All three are the client's
mistake, so each is a 400 in the API's error format, raised before any view code runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

# Deep enough for every body the API documents (the deepest is an object holding a list of
# objects), far below the interpreter's recursion limit.
JSON_MAX_DEPTH = 20
# A JSON escape of a UTF-16 surrogate (`\ud800` to `\udfff`); paired ones are fine, but
# only strings from a body with such an escape can hold a lone one.
_CONTAINERS = frozenset((dict, list))
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check(data: Any, *, strings: bool = True) -> None:
    """Walks the parsed containers without recursion: depth, then (when `strings`) the
    encodability of every key and string. Scalars are never queued, so a body of thousands
    of small objects costs one pass over its objects."""
    pending: list[tuple[Any, int, str | None]] = [(data, 1, None)]
    while pending:
        value, depth, field = pending.pop()
        if depth > JSON_MAX_DEPTH or (depth == JSON_MAX_DEPTH and value):
            # A non-empty container at the limit holds values one level deeper.
            raise exceptions.ParseError(
                _("The JSON body is nested more than %(depth)d levels deep.")
                % {"depth": JSON_MAX_DEPTH}
            )
        if not strings and _CONTAINERS.isdisjoint(
            map(type, value.values() if isinstance(value, dict) else value)
        ):
            continue  # only scalars inside: nothing deeper, no string to look at
        if isinstance(value, dict):
            for key, item in value.items():
                name = field if field is not None else key
                if strings and _has_lone_surrogate(key):
                    raise _invalid_text(None)
                if isinstance(item, dict | list):
                    pending.append((item, depth + 1, name))
                elif strings and isinstance(item, str) and _has_lone_surrogate(item):
                    raise _invalid_text(name)
        else:
            for item in value:
                if isinstance(item, dict | list):
                    pending.append((item, depth + 1, field))
                elif strings and isinstance(item, str) and _has_lone_surrogate(item):
                    raise _invalid_text(field)


def _invalid_text(field: str | None) -> exceptions.ValidationError:
    # The value itself is never repeated: it is what cannot be encoded.
    message = _("Text must be valid Unicode (no unpaired surrogate characters).")
    if field is None:
        return exceptions.ValidationError(message)
    return exceptions.ValidationError({field: [message]})


def json_body_parse(read: Callable[[int], bytes], encoding: str) -> Any:
    """The body read through `read(size)` (a stream's, or a request's), parsed with the
    bounds above. Also the parser of views that skip DRF's request handling."""
    limit = settings.API_JSON_MAX_BYTES
    raw = read(limit + 1)
    if len(raw) > limit:
        raise exceptions.ParseError(
            _("The JSON body is larger than %(kb)d KB.") % {"kb": limit // 1024}
        )
    try:
        text = raw.decode(encoding)
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise exceptions.ParseError(
            _("The JSON body is nested more than %(depth)d levels deep.")
            % {"depth": JSON_MAX_DEPTH}
        ) from error
    except ValueError as error:
        raise exceptions.ParseError(_("The body is not valid JSON.")) from error
    # Text decoded strictly holds no surrogate: one can only come from a `\uD800`-style
    # escape, so the string walk runs only for a body that has one.
    if isinstance(data, dict | list):
        _check(data, strings=_SURROGATE_ESCAPE.search(text) is not None)
    elif isinstance(data, str) and _has_lone_surrogate(data):
        raise _invalid_text(None)
    return data


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return json_body_parse(stream.read if stream is not None else _nothing, encoding)


def _nothing(size: int) -> bytes:
    return b""


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are not JSON; Python accepts them by default.
    raise ValueError(name)
