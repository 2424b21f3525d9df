"""One error format for the whole API (see shared/API.md):
400 `{"errors": {field: [messages]}}` or `{"detail": ...}`, 404 for what is not yours,
409 for a conflict with the current state."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace import exceptions as domain
from marketplace import outage

logger = logging.getLogger(__name__)


class ConflictError(exceptions.APIException):
    """The action is not allowed from the object's current state, or capacity is gone."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This change conflicts with the current state.")
    default_code = "conflict"


class DependencyUnavailable(exceptions.APIException):
    """PostgreSQL, Redis or the broker did not answer: try again shortly (never a 500)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy(
        "The service is briefly unavailable. Please try again in a few seconds."
    )
    default_code = "unavailable"


class UnprocessableError(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The request cannot be processed.")
    default_code = "unprocessable"


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        flattened: list[str] = []
        for item in value:
            flattened.extend(_as_list(item) if isinstance(item, list | tuple) else [item])
        return [str(item) for item in flattened]
    if isinstance(value, dict):
        return [str(value)]
    return [str(value)]


def _field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        result: dict[str, Any] = {}
        for field, messages in detail.items():
            if isinstance(messages, dict):
                result[field] = _field_errors(messages)
            elif isinstance(messages, list) and messages and isinstance(messages[0], dict):
                result[field] = [_field_errors(item) for item in messages]
            else:
                result[field] = _as_list(messages)
        return result
    return {api_settings.NON_FIELD_ERRORS_KEY: _as_list(detail)}


def validation_error_body(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        errors = _field_errors(detail)
        non_field = errors.pop(api_settings.NON_FIELD_ERRORS_KEY, None)
        if non_field and not errors:
            return {"detail": " ".join(non_field)}
        if non_field:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = non_field
        return {"errors": errors}
    return {"detail": " ".join(_as_list(detail))}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


def _fields_with_nul(request: Any) -> list[str]:
    """Query parameters and top-level body fields whose values carry a NUL character."""
    sources: list[Any] = [getattr(request, "query_params", None)]
    with contextlib.suppress(Exception):  # an unparsable body has been answered already
        sources.append(request.data)
    names: list[str] = []
    for source in sources:
        if hasattr(source, "lists"):
            pairs = list(source.lists())
        elif isinstance(source, dict):
            pairs = list(source.items())
        else:
            continue
        names.extend(str(name) for name, value in pairs if _has_nul(name) or _has_nul(value))
    return names


def _data_error(exc: DataError, context: dict[str, Any]) -> exceptions.ValidationError:
    """The database refused a value the request carried (a NUL in text, a number or text
    too large for its column): the client's input, so a 400, never a 500. Fields with a NUL
    (query parameters, or body fields such as a slug looked up by SlugRelatedField, which
    DRF does not check) are named; anything else is logged: a serializer should catch it."""
    with_nul = _fields_with_nul(context.get("request"))
    if with_nul:
        message = _("Null characters are not allowed.")
        return exceptions.ValidationError({name: [message] for name in with_nul})
    logger.error("The database refused a request's value", exc_info=exc)
    return exceptions.ValidationError(
        _("A value is too large or contains characters that cannot be stored.")
    )


def _from_domain(exc: domain.DomainError) -> Exception:
    """The one mapping of domain errors to API statuses (400, `InvalidError`, in `_invalid`)."""
    message = str(exc) or None
    if isinstance(exc, domain.NotFoundError):
        return exceptions.NotFound(message or _("Not found."))
    if isinstance(exc, domain.ForbiddenError):
        return exceptions.PermissionDenied(message)
    if isinstance(exc, domain.ConflictError):
        return ConflictError(message)
    return exc


def _invalid(exc: domain.InvalidError, context: dict[str, Any]) -> exceptions.ValidationError:
    detail = exc.detail
    renames = getattr(context.get("view"), "error_fields", None) or {}
    if isinstance(detail, dict) and renames:
        detail = {renames.get(field, field): errors for field, errors in detail.items()}
    return exceptions.ValidationError(detail=detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if outage.is_dependency_failure(exc):
        logger.warning("A dependency failed during an API request", exc_info=exc)
        return Response(
            {"detail": str(DependencyUnavailable.default_detail)},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(outage.retry_after_seconds())},
        )
    if isinstance(exc, domain.InvalidError):
        exc = _invalid(exc, context)
    elif isinstance(exc, domain.DomainError):
        exc = _from_domain(exc)
    if isinstance(exc, DataError):
        exc = _data_error(exc, context)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_error_body(exc.detail)
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


def json_not_found(request, exception=None):
    return JsonResponse({"detail": _("Not found.")}, status=404)


def json_server_error(request, *args, **kwargs):
    return JsonResponse({"detail": _("Server error.")}, status=500)


def json_unavailable(request, *args, **kwargs):
    response = JsonResponse({"detail": str(DependencyUnavailable.default_detail)}, status=503)
    response["Retry-After"] = str(outage.retry_after_seconds())
    return response
