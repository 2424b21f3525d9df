from collections.abc import Callable
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import BigIntegerField, Func, QuerySet, Subquery
from django.db.models.query import ModelIterable
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Pages of 50; `page_size` from 1 to 500. A page size outside that range, or not a
    whole number, is a 400 on the parameter (as the schema says), not silently replaced."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class CountInPagePaginator(Paginator):
    """Django's paginator, reading a page of a queryset and the queryset's count in one
    query instead of two: each row of the page carries the count (`COUNT_FIELD`, an
    uncorrelated scalar subquery PostgreSQL evaluates once, in the same snapshot as the
    page). With `values` (field names), the page's rows are dicts of those fields (and the
    count), the count itself still taken over the queryset's rows without the joins the
    values need. The pages, the count and the errors are Django's: an empty page, a page
    asked for once the count is known ("last") and anything but a plain model queryset
    take Django's own two-query path."""

    COUNT_FIELD = "full_count"
    values: tuple[str, ...] | None = None
    # A hot list's own statement for a page (offset, limit) -> rows: the same rows as
    # `values` of the queryset's page, each with the count (`COUNT_FIELD`).
    page_rows: Callable[[int, int], list[dict[str, Any]]] | None = None

    def _rows(self, queryset: QuerySet, *extra: str) -> QuerySet:
        return queryset.values(*self.values, *extra) if self.values else queryset

    def page(self, number: Any) -> Page:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().page(number)
        if (
            "count" in self.__dict__
            or self.orphans
            or queryset.query.is_sliced
            or queryset.query.distinct
            or queryset.query.combinator
            or queryset.query.group_by is not None  # an aggregate: COUNT(*) would count groups
            or queryset._iterable_class is not ModelIterable
        ):
            self.object_list = self._rows(queryset)
            return super().page(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        total = queryset.order_by().annotate(
            **{self.COUNT_FIELD: Func(template="COUNT(*)", output_field=BigIntegerField())}
        )
        counted = queryset.annotate(**{self.COUNT_FIELD: Subquery(total.values(self.COUNT_FIELD))})
        bottom = (number - 1) * self.per_page
        if self.page_rows is not None and self.values:
            rows = self.page_rows(bottom, self.per_page)
        else:
            rows = list(self._rows(counted, self.COUNT_FIELD)[bottom : bottom + self.per_page])
        self.object_list = self._rows(queryset)
        if not rows:
            # Past the end (or nothing at all): Django's path decides, with its own count.
            return super().page(number)
        first = rows[0]
        count = first[self.COUNT_FIELD] if self.values else getattr(first, self.COUNT_FIELD)
        self.__dict__["count"] = int(count)
        return self._get_page(rows, number, self)


class CountInPagePagination(StandardPagination):
    """`StandardPagination` with the page and its count read in one query (the hot lists).
    A view's `page_values` (field names) has the page read as dicts of them."""

    page_values: tuple[str, ...] | None = None
    page_rows: Callable[[int, int], list[dict[str, Any]]] | None = None

    def paginate_queryset(self, queryset, request, view=None):
        self.page_values = getattr(view, "page_values", None)
        self.page_rows = getattr(view, "page_rows", None)
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):  # type: ignore[override]
        """DRF builds its paginator with `self.django_paginator_class(queryset, size)`."""
        paginator = CountInPagePaginator(object_list, per_page)
        paginator.values = self.page_values
        paginator.page_rows = self.page_rows
        return paginator
