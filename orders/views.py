"""Browser pages for RFQs, quotes and orders (htmx where it helps). Each view resolves the
caller's organization (`organization_page`) and scoped objects, calls one service and
renders or redirects. Domain errors are mapped once, by `marketplace.pages`: a conflict or
invalid input becomes a message on the page the person came from, the other party's
action a 403, another organization's object a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customization.selectors import design_get, design_get_unchecked
from marketplace.models import Organization
from marketplace.pages import form_service_call, organization_page
from marketplace.storage import private_file_response
from orders import capacity, charts, selectors, services
from orders.forms import (
    DeclineForm,
    HoldExtensionForm,
    InspectionForm,
    InspectorForm,
    MessageForm,
    OrderMessageForm,
    ProgressCorrectionForm,
    ProgressForm,
    QuoteForm,
    RepeatForm,
    ReplyForm,
    ReviewForm,
    RFQForm,
    TransitionForm,
)
from orders.inspection import checklist_for_category, order_aql_plan, order_checklist
from orders.models import RFQ, Order, OrderStatus, Quote
from orders.transitions import BEFORE_PAYMENT, TRANSITIONS, PageForm, Party, available_actions

# --- RFQs ----------------------------------------------------------------------------------


@require_GET
@organization_page
def rfq_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    rfqs = selectors.rfq_list(organization=organization)
    return render(request, "orders/rfq_list.html", {"rfqs": rfqs[:200]})


@require_http_methods(["GET", "POST"])
@organization_page
def rfq_create(request: HttpRequest, organization: Organization) -> HttpResponse:
    services.rfq_creator_check(organization=organization)
    design = _design_param(request, organization)
    factory = _factory_param(request)
    initial = {}
    if design is not None:
        initial = {
            "design": design.pk,
            "category": design.product.product.category_id,
            "title": design.name,
            "quantity": design.quantity,
        }
    form = RFQForm(
        request.POST or None,
        request.FILES or None,
        organization=organization,
        initial=initial,
        factory=factory,
        factory_categories=capacity.categories_made(factory=factory) if factory else None,
    )
    if request.method == "POST" and form.is_valid():
        rfq = form_service_call(
            form,
            services.rfq_create,
            buyer=organization,
            acting_user=request.user,
            **form.cleaned_data,
        )
        if rfq is not None:
            if factory is not None:
                messages.success(
                    request, _("RFQ sent to %(factory)s only.") % {"factory": factory.name}
                )
            else:
                messages.success(request, _("RFQ sent. We are matching it to factories now."))
            return redirect("orders:rfq_detail", pk=rfq.pk)
    if design is None and form.is_bound:
        design = _bound_design(form)
    context = {
        "form": form,
        "design": design,
        "factory": factory,
        "contact": request.GET.get("contact") == "1",
    }
    return render(request, "orders/rfq_form.html", context)


def _factory_param(request: HttpRequest) -> Organization | None:
    """`?factory=<id>`: a directed RFQ to one audited factory (another id is a 404)."""
    value = request.GET.get("factory", "")
    if not value:
        return None
    factory = capacity.directable_factory(pk=int(value)) if value.isdigit() else None
    if factory is None:
        raise Http404(_("Not found."))
    return factory


def _design_param(request: HttpRequest, organization: Organization):
    """`?design=<id>`: start the RFQ from one of the caller's saved designs."""
    value = request.GET.get("design", "")
    return design_get(organization=organization, pk=int(value)) if value.isdigit() else None


def _bound_design(form: RFQForm):
    value = form.data.get("design", "")
    if not value.isdigit():
        return None
    queryset = form.fields["design"].queryset  # type: ignore[attr-defined]
    return queryset.filter(pk=int(value)).first()


def _message_errors(request: HttpRequest, form: Form) -> None:
    """Input the form or the service refused, shown on the page the view redirects to."""
    messages.error(request, _("Please correct: %(errors)s") % {"errors": form.errors.as_text()})


def _quote_form(rfq: RFQ, own_quote: Quote | None) -> QuoteForm:
    if own_quote is None:
        checklist = "\n".join(checklist_for_category(rfq.category))
        return QuoteForm(currency=rfq.currency, initial={"inspection_checklist": checklist})
    initial = {
        "unit_price": own_quote.unit_price.amount,
        "sample_fee": own_quote.sample_fee.amount,
        "lead_time_days": own_quote.lead_time_days,
        "valid_until": own_quote.valid_until,
        "note": own_quote.note,
        "aql": own_quote.aql,
        "inspection_checklist": "\n".join(own_quote.inspection_checklist),
    }
    tiers = [(tier.min_quantity, tier.unit_price) for tier in own_quote.tiers.all()]
    return QuoteForm(currency=rfq.currency, initial=initial, tiers=tiers)


@require_GET
@organization_page
def rfq_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    return _rfq_detail_page(request, organization, rfq)


def _rfq_detail_page(
    request: HttpRequest,
    organization: Organization,
    rfq: RFQ,
    *,
    quote_form: QuoteForm | None = None,
    message_form: MessageForm | None = None,
) -> HttpResponse:
    """The RFQ page; with a refused form bound to what was sent, its errors on the fields
    and status 400 (the API's answer to the same input)."""
    is_buyer = rfq.buyer_id == organization.pk
    quotes = list(selectors.quotes_for_rfq(rfq=rfq, organization=organization))
    rows = selectors.quote_comparison(rfq=rfq, quotes=quotes)
    active_rows = [row for row in rows if row["quote"].status == Quote.Status.ACTIVE]
    own_quote = None if is_buyer else next(iter(quotes), None)
    thread_factory = selectors.rfq_thread_factory(
        rfq=rfq, organization=organization, slug=request.GET.get("factory")
    )
    invitations = selectors.rfq_invitations_visible(rfq=rfq, organization=organization)
    own_invitation = None if is_buyer else next(iter(invitations), None)
    services.conversation_mark_read(user=request.user, organization=organization, rfq=rfq)
    context = {
        "rfq": rfq,
        "is_buyer": is_buyer,
        "rows": rows,
        "chart": charts.quote_comparison_svg(active_rows),
        "own_quote": own_quote,
        "invitations": invitations,
        "quote_form": quote_form or _quote_form(rfq, own_quote),
        "message_form": message_form or MessageForm(currency=rfq.currency),
        "thread": selectors.rfq_thread(rfq=rfq, organization=organization, factory=thread_factory),
        "thread_factory": thread_factory,
        "own_invitation": own_invitation,
        "can_decline": selectors.rfq_decline_open(rfq=rfq, invitation=own_invitation),
        "decline_form": DeclineForm(),
        "orders": rfq.orders.all() if rfq.status == RFQ.Status.AWARDED else [],
        # The RFQ's access is checked above: its buyer and the invited factories see it.
        "design": design_get_unchecked(pk=rfq.design_id) if rfq.design_id else None,
    }
    refused = quote_form is not None or message_form is not None
    return render(request, "orders/rfq_detail.html", context, status=400 if refused else 200)


@require_POST
@organization_page
def rfq_cancel(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    services.rfq_cancel(rfq=rfq, acting_organization=organization, acting_user=request.user)
    messages.success(request, _("The RFQ was withdrawn."))
    return redirect("orders:rfq_detail", pk=pk)


@require_POST
@organization_page
def quote_save(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Submit the factory's quote, or revise it when one exists (the service decides)."""
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    form = QuoteForm(request.POST, currency=rfq.currency)
    if not form.is_valid():
        return _rfq_detail_page(request, organization, rfq, quote_form=form)
    saved = form_service_call(
        form,
        services.quote_save,
        rfq=rfq,
        factory=organization,
        acting_user=request.user,
        tiers=form.tiers(),
        **form.quote_values(),
    )
    if saved is None:
        return _rfq_detail_page(request, organization, rfq, quote_form=form)
    if saved[1]:
        messages.success(request, _("Your quote was sent to the buyer."))
    else:
        messages.success(request, _("Your quote was revised."))
    return redirect("orders:rfq_detail", pk=pk)


@require_POST
@organization_page
def quote_withdraw(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    quote = selectors.quote_get(organization=organization, pk=pk)
    services.quote_withdraw(quote=quote, acting_organization=organization)
    messages.success(request, _("Your quote was withdrawn."))
    return redirect("orders:rfq_detail", pk=quote.rfq_id)


@require_POST
@organization_page
def quote_accept(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    quote = selectors.quote_get(organization=organization, pk=pk)
    order = services.quote_accept(
        quote=quote,
        acting_organization=organization,
        acting_user=request.user,
        with_sample=request.POST.get("with_sample") == "on",
    )
    messages.success(request, _("Order %(number)s created.") % {"number": order.number})
    return redirect("orders:order_detail", pk=order.pk)


@require_POST
@organization_page
def rfq_decline(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    form = DeclineForm(request.POST)
    declined = form.is_valid() and form_service_call(
        form,
        services.rfq_decline,
        rfq=rfq,
        acting_organization=organization,
        acting_user=request.user,
        reason=form.cleaned_data["reason"],
    )
    if declined:
        messages.success(request, _("You declined this RFQ; the buyer sees your reason."))
    else:
        _message_errors(request, form)
    return redirect("orders:rfq_detail", pk=pk)


@require_POST
@organization_page
def rfq_message(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    rfq = selectors.rfq_get(organization=organization, pk=pk)
    factory = selectors.rfq_thread_factory(
        rfq=rfq, organization=organization, slug=request.POST.get("factory")
    )
    form = MessageForm(request.POST, currency=rfq.currency)
    posted = form.is_valid() and form_service_call(
        form,
        services.rfq_message_post,
        rfq=rfq,
        acting_organization=organization,
        acting_user=request.user,
        factory=factory,
        **form.cleaned_data,
    )
    if not posted:
        return _rfq_detail_page(request, organization, rfq, message_form=form)
    target = reverse("orders:rfq_detail", kwargs={"pk": pk})
    if factory is not None:
        target += "?" + urlencode({"factory": factory.slug})
    return redirect(target + "#thread")


# --- orders --------------------------------------------------------------------------------


@require_GET
@organization_page
def order_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    status = request.GET.get("status")
    if status not in OrderStatus.values:
        status = None
    orders = list(selectors.order_list(organization=organization, status=status)[:200])
    for order in orders:
        order.money_visible = selectors.order_money_visible(order, organization)
    return render(
        request,
        "orders/order_list.html",
        {"orders": orders, "statuses": OrderStatus.choices, "status": status},
    )


def _order_context(organization: Organization, order: Order) -> dict[str, Any]:
    party = services.order_party(order=order, organization=organization)
    actions = available_actions(status=order.status, party=party)
    points = selectors.production_progress(order)
    inspections = list(order.inspections.all())
    return {
        "order": order,
        "party": party.value,
        "is_buyer": party == Party.BUYER,
        "is_factory": party == Party.FACTORY,
        "money_visible": selectors.order_money_visible(order, organization),
        # The buyer pays on Finance's pay page (the sample fee, a deposit, the balance).
        "can_pay": party == Party.BUYER and order.status in BEFORE_PAYMENT,
        # Buttons with a note; the actions with their own form are offered by page form.
        "buttons": [item for item in actions if item.page_form.is_button],
        "offered": {item.page_form.value: item for item in actions},
        "can_report": services.production_progress_open(order=order, party=party),
        "can_extend_hold": services.hold_extension_open(order=order, party=party),
        "hold_extension_form": HoldExtensionForm(),
        "inspection_form": InspectionForm(checklist=order_checklist(order)),
        "inspection_plan": order_aql_plan(order),
        "inspection_checklist": order_checklist(order),
        "can_assign_inspector": services.inspector_assign_open(order=order, party=party),
        "inspector_form": InspectorForm(
            organizations=selectors.inspection_organizations(),
            initial={"inspector": order.inspector_id},
        ),
        "transition_form": TransitionForm(),
        "progress_form": ProgressForm(),
        "correction_form": ProgressCorrectionForm(prefix="correction"),
        "progress_entries": selectors.production_entries(order),
        "reported_total": selectors.reported_total(order),
        "progress_chart": charts.progress_svg(points, order.quantity),
        "points": points,
        "review": selectors.order_review(order=order),
        "review_form": ReviewForm(),
        "reply_form": ReplyForm(),
        "repeat_form": RepeatForm(initial={"quantity": order.quantity}),
        "dispute_deadline": order.dispute_deadline,
        "latest_inspection": inspections[-1] if inspections else None,
        "awaiting_self_check_acceptance": bool(
            inspections
            and inspections[-1].self_check
            and inspections[-1].passed
            and not inspections[-1].cleared
        ),
        "thread": selectors.order_thread(order=order),
        "order_message_form": OrderMessageForm(),
    }


@require_GET
@organization_page
def order_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    order = selectors.order_get(organization=organization, pk=pk)
    context = _order_context(organization, order)
    if request.htmx and request.GET.get("part") == "timeline":
        return render(request, "orders/_timeline.html", context)
    services.conversation_mark_read(user=request.user, organization=organization, order=order)
    return render(request, "orders/order_detail.html", context)


@require_POST
@organization_page
def order_message(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    form = OrderMessageForm(request.POST, request.FILES)
    _order, posted = _order_form_call(
        request, organization, pk, form, services.order_message_post, ("body", "attachments")
    )
    if posted:
        messages.success(request, _("Message sent."))
    return redirect(reverse("orders:order_detail", kwargs={"pk": pk}) + "#messages")


@require_GET
@organization_page
def conversations(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The inbox's conversations: one line per order or RFQ, with the unread count."""
    rows = selectors.conversations(user=request.user, organization=organization)
    return render(request, "orders/conversations.html", {"conversations": rows})


def _back(pk: int) -> HttpResponse:
    return redirect("orders:order_detail", pk=pk)


def _order_form_call(
    request: HttpRequest,
    organization: Organization,
    pk: int,
    form: Form,
    service: Callable[..., Any],
    fields: tuple[str, ...] | None = None,
) -> tuple[Order, Any]:
    """The order pages' action forms in one shape: the order (a 404 unless this organization
    is a party), the form validated, then `service` called as this party with the form's
    `fields` (all of them by default). Returns the order and the service's result, or None
    when the form or the service refused the input (its errors are then page messages)."""
    order = selectors.order_get(organization=organization, pk=pk, relations=())
    result = form.is_valid() and form_service_call(
        form,
        service,
        order=order,
        acting_organization=organization,
        acting_user=request.user,
        **{
            name: value
            for name, value in form.cleaned_data.items()
            if fields is None or name in fields
        },
    )
    if not result:
        _message_errors(request, form)
        return order, None
    return order, result


def _transition_input(
    request: HttpRequest, order: Order, page_form: PageForm
) -> InspectionForm | TransitionForm:
    """The bound form that parses the action's input on the page."""
    if page_form == PageForm.INSPECTION:
        checklist = order_checklist(order)
        return InspectionForm(request.POST, request.FILES, checklist=checklist)
    return TransitionForm(request.POST, request.FILES)


def _transition_details(form: InspectionForm | TransitionForm) -> dict[str, Any]:
    if isinstance(form, InspectionForm):
        return {
            "defects_found": form.cleaned_data["defects_found"],
            "checklist": form.checklist_results(),
            "photos": form.cleaned_data["photos"],
        }
    return {
        key: value
        for key, value in form.cleaned_data.items()
        if key not in ("action", "note") and value not in (None, "", [])
    }


@require_POST
@organization_page
def order_transition(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    order = selectors.order_get(organization=organization, pk=pk, relations=())
    action = services.action_parse(request.POST.get("action", ""))
    transition = TRANSITIONS[action]
    form = _transition_input(request, order, transition.page_form)
    done = form.is_valid() and form_service_call(
        form,
        services.order_transition,
        order=order,
        action=action,
        acting_user=request.user,
        acting_organization=organization,
        note=form.cleaned_data["note"],
        details=_transition_details(form),
    )
    if done:
        messages.success(request, _("Done: %(action)s.") % {"action": transition.label})
    else:
        _message_errors(request, form)
    return _back(pk)


def _progress_response(
    request: HttpRequest, organization: Organization, pk: int, form: Form, recorded: str
) -> HttpResponse:
    """The progress panel again (htmx) with what was recorded or the form's errors; else
    back to the order page with a message."""
    if request.htmx:
        order = selectors.order_get(organization=organization, pk=pk)
        context = _order_context(organization, order)
        context["recorded"] = recorded
        if form.errors:
            context["progress_form" if isinstance(form, ProgressForm) else "correction_form"] = form
        return render(request, "orders/_progress.html", context)
    if form.errors:
        _message_errors(request, form)
    elif recorded:
        messages.success(request, recorded)
    return _back(pk)


def _recorded_message(order: Order, units: int, day, total: int) -> str:
    return _("Recorded %(units)+d units for %(day)s: %(total)d of %(quantity)d units in total.") % {
        "units": units,
        "day": day.isoformat(),
        "total": total,
        "quantity": order.quantity,
    }


@require_POST
@organization_page
def order_progress(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Add a progress entry (units finished in a shift or a batch)."""
    order = selectors.order_get(organization=organization, pk=pk, relations=())
    form = ProgressForm(request.POST)
    recorded = ""
    if form.is_valid():
        report = form_service_call(
            form,
            services.production_progress_record,
            order=order,
            acting_organization=organization,
            acting_user=request.user,
            **form.cleaned_data,
        )
        if report is not None:
            total = selectors.reported_total(selectors.order_get(organization=organization, pk=pk))
            recorded = _recorded_message(order, report.units, report.day, total)
    return _progress_response(request, organization, pk, form, recorded)


@require_POST
@organization_page
def order_progress_correct(
    request: HttpRequest, organization: Organization, pk: int
) -> HttpResponse:
    """Correct a progress entry: a correction entry with its reason, never an edit."""
    order = selectors.order_get(organization=organization, pk=pk, relations=())
    form = ProgressCorrectionForm(request.POST, prefix="correction")
    recorded = ""
    if form.is_valid():
        correction = form_service_call(
            form,
            services.production_progress_correct,
            order=order,
            acting_organization=organization,
            acting_user=request.user,
            entry_pk=form.cleaned_data["entry"],
            units=form.cleaned_data["units"],
            reason=form.cleaned_data["reason"],
        )
        if correction is not None:
            total = selectors.reported_total(selectors.order_get(organization=organization, pk=pk))
            recorded = _recorded_message(order, correction.units, correction.day, total)
    return _progress_response(request, organization, pk, form, recorded)


@require_POST
@organization_page
def order_inspector(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """The buyer assigns the inspection organization."""
    form = InspectorForm(request.POST, organizations=selectors.inspection_organizations())
    _order, done = _order_form_call(
        request, organization, pk, form, services.order_inspector_assign, ("inspector",)
    )
    if done:
        messages.success(
            request,
            _("%(name)s inspects this order.") % {"name": form.cleaned_data["inspector"].name},
        )
    return _back(pk)


@require_POST
@organization_page
def order_hold_extend(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    form = HoldExtensionForm(request.POST)
    order, done = _order_form_call(
        request, organization, pk, form, services.order_hold_extend, ("days", "note")
    )
    if done:
        order.refresh_from_db(fields=["ready_by"])
        messages.success(
            request,
            _("Hold extended: the promised ready date is now %(date)s.")
            % {"date": order.ready_by.isoformat()},
        )
    return _back(pk)


@require_POST
@organization_page
def order_repeat(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    form = RepeatForm(request.POST)
    _order, repeat = _order_form_call(request, organization, pk, form, services.order_repeat)
    if not repeat:
        return _back(pk)
    messages.success(request, _("Repeat order %(number)s created.") % {"number": repeat.number})
    return redirect("orders:order_detail", pk=repeat.pk)


@require_POST
@organization_page
def order_review(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    _order, review = _order_form_call(request, organization, pk, form, services.review_create)
    if review:
        messages.success(request, _("Thank you for your review."))
    return _back(pk)


@require_POST
@organization_page
def review_reply(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    review = selectors.review_get(organization=organization, pk=pk)
    form = ReplyForm(request.POST)
    replied = form.is_valid() and form_service_call(
        form,
        services.review_reply,
        review=review,
        acting_organization=organization,
        acting_user=request.user,
        reply=form.cleaned_data["reply"],
    )
    if replied:
        messages.success(request, _("Your answer was published."))
    else:
        _message_errors(request, form)
    return _back(review.order_id)


@require_GET
@organization_page
def rfq_attachment(
    request: HttpRequest, organization: Organization, pk: int, attachment_pk: int
) -> FileResponse:
    stored, name = selectors.rfq_attachment_get(
        organization=organization, rfq_pk=pk, pk=attachment_pk
    )
    return private_file_response(stored, download_name=name, inline=True)


@require_GET
@organization_page
def order_file(
    request: HttpRequest, organization: Organization, pk: int, kind: str, file_pk: int
) -> FileResponse:
    stored, name = selectors.order_file_get(
        organization=organization, order_pk=pk, kind=kind, pk=file_pk
    )
    return private_file_response(stored, download_name=name, inline=True)
