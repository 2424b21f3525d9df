"""Catalog pages: product search (the same selector as the API) and solutions."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from catalog.selectors import (
    category_by_slug,
    category_list,
    product_get,
    product_price_table,
    product_search,
    solution_list,
)

PAGE_SIZE = 24


class ProductSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("All categories"))]
        choices += [(category.slug, category.name) for category in category_list()]
        self.fields["category"].choices = choices


@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductSearchForm(request.GET or None)
    products = product_search()
    if form.is_valid():
        slug = form.cleaned_data["category"]
        products = product_search(
            query=form.cleaned_data["q"],
            category=category_by_slug(slug=slug) if slug else None,
        )
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "solutions": solution_list()}
    template = "catalog/_results.html" if request.htmx else "catalog/product_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = product_get(pk=pk)
    if product is None:
        raise Http404(_("Not found."))
    context = {"product": product, "price_table": product_price_table(product=product)}
    return render(request, "catalog/product_detail.html", context)
