"""Finance pages: the organization's statement (balances, movements, open escrow, credit,
weekly chart, CSV), and the buyer's payment of an order by credit, card or bank transfer."""

from __future__ import annotations

import csv
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from finance import selectors
from finance.forms import PaymentForm
from finance.models import Payment
from finance.services import payments, payouts
from marketplace.models import Organization
from marketplace.money import DEFAULT_CURRENCY, Money
from marketplace.pages import form_service_call, organization_page
from marketplace.tenancy import get_for_organization_or_404
from orders import selectors as order_selectors
from orders.models import OrderStatus

CHART_HEIGHT = 120


@require_GET
@organization_page
def statement(request: HttpRequest, organization: Organization) -> HttpResponse:
    movements = Paginator(selectors.organization_postings(organization=organization), 50)
    bars = selectors.weekly_flows(organization=organization)
    peak = max([bar.money_in for bar in bars] + [bar.money_out for bar in bars] + [1])
    chart = [
        {
            "bar": bar,
            "in_height": round(CHART_HEIGHT * bar.money_in / peak),
            "out_height": round(CHART_HEIGHT * bar.money_out / peak),
            "money_in": Money(bar.money_in, DEFAULT_CURRENCY),
            "money_out": Money(bar.money_out, DEFAULT_CURRENCY),
            "x": index * 40,
        }
        for index, bar in enumerate(bars)
    ]
    awaiting = (
        order_selectors.order_list(organization=organization).filter(
            buyer=organization, status=OrderStatus.AWAITING_PAYMENT
        )
        if organization.kind == Organization.Kind.BUYER
        else []
    )
    context = {
        "accounts": selectors.organization_accounts(organization=organization),
        "movements": movements.get_page(request.GET.get("page")),
        "escrows": selectors.organization_escrows(organization=organization),
        "credit": selectors.credit_summary(organization=organization),
        "chart": chart,
        "chart_height": CHART_HEIGHT,
        "awaiting": awaiting,
        "settlements": selectors.factory_settlements(organization=organization)
        if organization.kind == Organization.Kind.FACTORY
        else [],
        "payouts": payouts.payouts_for(organization=organization)[:50]
        if organization.kind == Organization.Kind.FACTORY
        else [],
    }
    return render(request, "finance/statement.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@organization_page
def statement_csv(request: HttpRequest, organization: Organization) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    header = [_("Date"), _("Account"), _("Order"), _("Kind"), _("Reference"), _("Memo"),
              _("Amount"), _("Currency")]  # fmt: skip
    postings = selectors.organization_postings(organization=organization).iterator(chunk_size=500)

    def rows():
        yield writer.writerow(header)
        for posting in postings:
            yield writer.writerow(
                [
                    posting.created_at.isoformat(),
                    posting.account.get_purpose_display(),
                    posting.transaction.order.number if posting.transaction.order else "",
                    posting.transaction.get_kind_display(),
                    posting.transaction.reference,
                    posting.transaction.display_memo,
                    posting.amount.as_wire()["amount"],
                    posting.currency,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{organization.slug}.csv"'
    return response


@require_http_methods(["GET", "POST"])
@organization_page(kinds=(Organization.Kind.BUYER,))
def order_pay(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    order = order_selectors.order_get(
        organization=organization, pk=pk, relations=(), parties_only=True
    )
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payment = form_service_call(
            form,
            payments.payment_create,
            order=order,
            organization=organization,
            purpose=form.cleaned_data["purpose"],
            method=form.cleaned_data["method"],
            acting_user=request.user,
        )
        if payment is not None:
            return redirect("finance:payment_detail", pk=payment.pk)
    context = {
        "order": order,
        "form": form,
        "dues": selectors.payment_dues(order=order),
        "payments": selectors.order_payments(order_pk=order.pk),
        "credit": selectors.credit_summary(organization=organization),
        "stripe_enabled": bool(settings.STRIPE_SECRET_KEY),
    }
    return render(request, "finance/order_pay.html", context)


STRIPE_API_ORIGIN = "https://api.stripe.com"
STRIPE_HOOKS_ORIGIN = "https://hooks.stripe.com"


@require_GET
@organization_page
def payment_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    payment = get_for_organization_or_404(
        Payment.objects.select_related("order"), organization, pk=pk
    )
    context = {
        "payment": payment,
        "bank_account": settings.FINANCE_BANK_ACCOUNT,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
    }
    response = render(request, "finance/payment_detail.html", context)
    if payment.method == "stripe" and settings.STRIPE_PUBLISHABLE_KEY:
        # The Content-Security-Policy lets this page alone load Stripe.js, show its card
        # iframe and let it call Stripe's API (localstripe's origin in development).
        response._csp_update = stripe_csp_sources()  # type: ignore[attr-defined]
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_csp_sources() -> dict[str, list[str]]:
    script = _origin(settings.STRIPE_JS_URL)
    api = _origin(settings.STRIPE_API_BASE) if settings.STRIPE_API_BASE else STRIPE_API_ORIGIN
    return {
        "script-src": [script],
        "frame-src": [script, STRIPE_HOOKS_ORIGIN],
        "connect-src": [api],
    }


@require_POST
@organization_page(kinds=(Organization.Kind.BUYER,))
def payment_cancel(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """The buyer cancels a payment no money arrived for, to pay another way."""
    payment = get_for_organization_or_404(Payment.objects.all(), organization, pk=pk)
    payments.payment_cancel(payment=payment, organization=organization, acting_user=request.user)
    messages.success(request, _("The payment was cancelled: choose another way to pay."))
    return redirect("finance:order_pay", pk=payment.order_id)
