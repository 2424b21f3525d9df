"""Browser pages for RFQs, quotes and orders (htmx where it helps). Each view resolves the
caller's organization and scoped objects, calls one service and renders or redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.models import Organization
from marketplace.storage import private_file_response
from orders import charts, selectors, services
from orders.exceptions import OrderConflictError, WrongPartyError
from orders.forms import (
    InspectionForm,
    MessageForm,
    ProgressForm,
    QuoteForm,
    RepeatForm,
    ReplyForm,
    ReviewForm,
    RFQForm,
    TransitionForm,
)
from orders.inspection import aql_plan, checklist_for_category
from orders.models import RFQ, OrderStatus, Quote, Review
from orders.services.lifecycle import dispute_deadline
from orders.transitions import TRANSITIONS, Party, available_actions


def _organization(request: HttpRequest) -> Organization:
    organization = getattr(request, "organization", None)
    if not organization:
        raise Http404(_("Not found."))
    return organization


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def domain_errors(view: Callable) -> Callable:
    """Conflicts become a message and a redirect back; the other party's action is 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except WrongPartyError as error:
            raise PermissionDenied(str(error)) from error
        except OrderConflictError as error:
            messages.error(request, str(error))
            response = redirect(request.headers.get("referer") or "orders:order_list")
            response.status_code = 303
            return response

    return wrapper


# --- RFQs ----------------------------------------------------------------------------------


@login_required
@require_GET
def rfq_list(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    rfqs = selectors.rfq_list(organization=organization)
    return render(request, "orders/rfq_list.html", {"rfqs": rfqs[:200]})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def rfq_create(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    if organization.kind != Organization.Kind.BUYER:
        raise PermissionDenied(_("Only buyers can send RFQs."))
    form = RFQForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rfq = services.rfq_create(
                buyer=organization, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("RFQ sent. We are matching it to factories now."))
            return redirect("orders:rfq_detail", pk=rfq.pk)
    return render(request, "orders/rfq_form.html", {"form": form})


def _quote_rows(quotes: list[Quote], record: dict[int, dict], quantity: int) -> list[dict]:
    today = timezone.localdate()
    rows = []
    for quote in quotes:
        unit = quote.unit_price_for(quantity)
        rows.append(
            {
                "quote": quote,
                "label": quote.factory.name,
                "unit_price": unit.amount,
                "currency": quote.currency,
                "total": unit * quantity,
                "lead_time_days": quote.lead_time_days,
                "tier_applied": unit.amount_minor != quote.unit_price_minor,
                "expired": quote.valid_until < today,
                "record": record.get(quote.factory_id, {}),
            }
        )
    return rows


@login_required
@require_GET
def rfq_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    is_buyer = rfq.buyer_id == organization.pk
    quotes = list(selectors.quotes_for_rfq(rfq=rfq, organization=organization))
    record = selectors.factory_record(factory_ids=[quote.factory_id for quote in quotes])
    rows = _quote_rows(quotes, record, rfq.quantity)
    active_rows = [row for row in rows if row["quote"].status == Quote.Status.ACTIVE]
    own_quote = None if is_buyer else next(iter(quotes), None)
    invitations = list(rfq.invitations.all())
    if not is_buyer:
        invitations = [item for item in invitations if item.factory_id == organization.pk]
    thread_factory = None
    if is_buyer and request.GET.get("factory"):
        thread_factory = next(
            (item.factory for item in invitations if item.factory.slug == request.GET["factory"]),
            None,
        )
    quote_form = QuoteForm(
        currency=rfq.currency,
        initial=(
            {
                "unit_price": own_quote.unit_price.amount,
                "sample_fee": own_quote.sample_fee.amount,
                "lead_time_days": own_quote.lead_time_days,
                "valid_until": own_quote.valid_until,
                "note": own_quote.note,
            }
            if own_quote
            else None
        ),
    )
    context = {
        "rfq": rfq,
        "is_buyer": is_buyer,
        "rows": rows,
        "chart": charts.quote_comparison_svg(active_rows),
        "own_quote": own_quote,
        "invitations": invitations,
        "quote_form": quote_form,
        "message_form": MessageForm(currency=rfq.currency),
        "thread": selectors.rfq_thread(rfq=rfq, organization=organization, factory=thread_factory),
        "thread_factory": thread_factory,
        "orders": rfq.orders.all() if rfq.status == RFQ.Status.AWARDED else [],
    }
    return render(request, "orders/rfq_detail.html", context)


@login_required
@require_POST
@domain_errors
def rfq_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    services.rfq_cancel(rfq=rfq, acting_organization=organization, acting_user=request.user)
    messages.success(request, _("The RFQ was withdrawn."))
    return redirect("orders:rfq_detail", pk=pk)


@login_required
@require_POST
@domain_errors
def quote_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit the factory's quote, or revise it when one exists."""
    organization = _organization(request)
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    form = QuoteForm(request.POST, currency=rfq.currency)
    if form.is_valid():
        data = dict(form.cleaned_data)
        tiers = form.tiers()
        for name in ("tier_quantity", "tier_price"):
            data.pop(name)
        existing = Quote.objects.filter(rfq=rfq, factory=organization).first()
        try:
            if existing is None:
                services.quote_submit(
                    rfq=rfq, factory=organization, acting_user=request.user, tiers=tiers, **data
                )
                messages.success(request, _("Your quote was sent to the buyer."))
            else:
                services.quote_revise(
                    quote=existing,
                    acting_organization=organization,
                    acting_user=request.user,
                    tiers=tiers,
                    **data,
                )
                messages.success(request, _("Your quote was revised."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(
            request, _("Please correct the quote: %(errors)s") % {"errors": form.errors.as_text()}
        )
    return redirect("orders:rfq_detail", pk=pk)


@login_required
@require_POST
@domain_errors
def quote_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    quote = selectors.quote_get(organization=organization, pk=pk)
    services.quote_withdraw(quote=quote, acting_organization=organization)
    messages.success(request, _("Your quote was withdrawn."))
    return redirect("orders:rfq_detail", pk=quote.rfq_id)


@login_required
@require_POST
@domain_errors
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    quote = selectors.quote_get(organization=organization, pk=pk)
    order = services.quote_accept(
        quote=quote,
        acting_organization=organization,
        acting_user=request.user,
        with_sample=request.POST.get("with_sample") == "on",
    )
    messages.success(request, _("Order %(number)s created.") % {"number": order.number})
    return redirect("orders:order_detail", pk=order.pk)


@login_required
@require_POST
@domain_errors
def rfq_message(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    form = MessageForm(request.POST, currency=rfq.currency)
    factory = None
    if request.POST.get("factory"):
        factory = Organization.objects.filter(
            slug=request.POST["factory"], kind=Organization.Kind.FACTORY
        ).first()
    if form.is_valid():
        try:
            services.rfq_message_post(
                rfq=rfq,
                acting_organization=organization,
                acting_user=request.user,
                factory=factory,
                **form.cleaned_data,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, form.errors.as_text())
    target = reverse("orders:rfq_detail", kwargs={"pk": pk})
    if factory is not None:
        target += "?" + urlencode({"factory": factory.slug})
    return redirect(target + "#thread")


# --- orders --------------------------------------------------------------------------------


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    organization = _organization(request)
    orders = selectors.order_list(organization=organization)
    status = request.GET.get("status")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    return render(
        request,
        "orders/order_list.html",
        {"orders": orders[:200], "statuses": OrderStatus.choices, "status": status},
    )


def _order_context(request: HttpRequest, order) -> dict:
    organization = _organization(request)
    party = services.order_party(order=order, organization=organization)
    actions = available_actions(status=order.status, party=party)
    checklist = checklist_for_category(order.category)
    points = selectors.production_progress(order)
    review = Review.objects.filter(order=order).first()
    deadline = dispute_deadline(order)
    return {
        "order": order,
        "party": party.value,
        "is_buyer": party == Party.BUYER,
        "is_factory": party == Party.FACTORY,
        "actions": [
            action
            for action in actions
            if action.action not in ("record_inspection", "ship", "open_dispute")
        ],
        "can_inspect": "record_inspection" in {action.action for action in actions},
        "can_ship": "ship" in {action.action for action in actions},
        "can_dispute": "open_dispute" in {action.action for action in actions},
        "can_report": party == Party.FACTORY and order.status == OrderStatus.IN_PRODUCTION,
        "inspection_form": InspectionForm(checklist=checklist),
        "inspection_plan": aql_plan(order.quantity),
        "transition_form": TransitionForm(),
        "progress_form": ProgressForm(),
        "progress_chart": charts.progress_svg(points, order.quantity),
        "points": points,
        "review": review,
        "review_form": ReviewForm(),
        "reply_form": ReplyForm(),
        "repeat_form": RepeatForm(initial={"quantity": order.quantity}),
        "dispute_deadline": deadline,
        "latest_inspection": order.inspections.all()[len(order.inspections.all()) - 1]
        if order.inspections.all()
        else None,
    }


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(organization=_organization(request), pk=pk)
    context = _order_context(request, order)
    if request.htmx and request.GET.get("part") == "timeline":
        return render(request, "orders/_timeline.html", context)
    return render(request, "orders/order_detail.html", context)


def _back(pk: int) -> HttpResponse:
    return redirect("orders:order_detail", pk=pk)


@login_required
@require_POST
@domain_errors
def order_transition(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    order = selectors.order_get(organization=organization, pk=pk, relations=())
    action = request.POST.get("action", "")
    details: dict = {}
    note = request.POST.get("note", "")
    if action == "record_inspection":
        form = InspectionForm(
            request.POST, request.FILES, checklist=checklist_for_category(order.category)
        )
        if not form.is_valid():
            messages.error(request, form.errors.as_text())
            return _back(pk)
        details = {
            "aql": form.cleaned_data["aql"],
            "defects_found": form.cleaned_data["defects_found"],
            "checklist": form.checklist_results(),
            "photos": form.cleaned_data["photos"],
        }
        note = form.cleaned_data["note"]
    else:
        form = TransitionForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, form.errors.as_text())
            return _back(pk)
        details = {
            key: value
            for key, value in form.cleaned_data.items()
            if key not in ("action", "note") and value not in (None, "", [])
        }
    try:
        services.order_transition(
            order=order,
            action=action,
            acting_user=request.user,
            acting_organization=organization,
            note=note,
            details=details,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        label = TRANSITIONS[action].label
        messages.success(request, _("Done: %(action)s.") % {"action": label})
    return _back(pk)


@login_required
@require_POST
@domain_errors
def order_progress(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    order = selectors.order_get(organization=organization, pk=pk, relations=())
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            services.production_progress_record(
                order=order,
                acting_organization=organization,
                acting_user=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
    if request.htmx:
        order = selectors.order_get(organization=organization, pk=pk)
        context = _order_context(request, order)
        context["progress_form"] = form if form.errors else ProgressForm()
        return render(request, "orders/_progress.html", context)
    if form.errors:
        messages.error(request, form.errors.as_text())
    return _back(pk)


@login_required
@require_POST
@domain_errors
def order_repeat(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    order = selectors.order_get(organization=organization, pk=pk, relations=())
    form = RepeatForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return _back(pk)
    try:
        repeat = services.order_repeat(
            order=order,
            acting_organization=organization,
            acting_user=request.user,
            **form.cleaned_data,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(pk)
    messages.success(request, _("Repeat order %(number)s created.") % {"number": repeat.number})
    return redirect("orders:order_detail", pk=repeat.pk)


@login_required
@require_POST
@domain_errors
def order_review(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    order = selectors.order_get(organization=organization, pk=pk, relations=())
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_create(
                order=order,
                acting_organization=organization,
                acting_user=request.user,
                **form.cleaned_data,
            )
            messages.success(request, _("Thank you for your review."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, form.errors.as_text())
    return _back(pk)


@login_required
@require_POST
@domain_errors
def review_reply(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    review = Review.objects.for_organization(organization).filter(pk=pk).first()
    if review is None:
        raise Http404(_("Not found."))
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.review_reply(
                review=review,
                acting_organization=organization,
                acting_user=request.user,
                reply=form.cleaned_data["reply"],
            )
            messages.success(request, _("Your answer was published."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return _back(review.order_id)


@login_required
@require_GET
def rfq_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    stored, name = selectors.rfq_attachment_get(
        organization=_organization(request), rfq_pk=pk, pk=attachment_pk
    )
    return private_file_response(stored, download_name=name, inline=True)


@login_required
@require_GET
def order_file(request: HttpRequest, pk: int, kind: str, file_pk: int) -> FileResponse:
    stored, name = selectors.order_file_get(
        organization=_organization(request), order_pk=pk, kind=kind, pk=file_pk
    )
    return private_file_response(stored, download_name=name, inline=True)
