"""Orders API (shared/API.md): RFQs, quotes, orders and the one transitions endpoint.

Each view parses input, resolves tenant-scoped objects (404 when not the caller's), calls
one service and renders the result. Domain conflicts are 409, the other party's action 403.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from catalog.models import Category
from customization.selectors import design_get
from marketplace import limits
from marketplace.api.idempotency import idempotent
from marketplace.api.pagination import CountInPagePagination
from marketplace.api.parsers import BoundedJSONParser
from marketplace.api.serializers import MoneyField
from marketplace.models import Organization
from marketplace.storage import private_file_response
from orders import capacity, selectors, services
from orders.api.base import OrdersAPIView
from orders.api.serializers import (
    EventOutputSerializer,
    OrderMessageOutputSerializer,
    OrderOutputSerializer,
    OrderSummarySerializer,
    ProgressEntrySerializer,
    ProgressPointSerializer,
    QuoteOutputSerializer,
    RFQOutputSerializer,
    TierSerializer,
    order_summaries_data,
    progress_points_data,
    progress_rows_data,
    tiers_from,
)
from orders.inspection import AQL_CHOICES
from orders.models import Order, Review
from orders.services.conversations import (
    DECLINE_REASON_MAX,
    MESSAGE_ATTACHMENTS_MAX,
    MESSAGE_BODY_MAX,
)
from orders.transitions import Action

PARSERS = [BoundedJSONParser, MultiPartParser, FormParser]


class RfqListCreateApi(OrdersAPIView):
    parser_classes = PARSERS

    class InputSerializer(serializers.Serializer):
        category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
        title = serializers.CharField(max_length=limits.TITLE)
        quantity = serializers.IntegerField(**limits.QUANTITY.field)
        ready_by = serializers.DateField()
        spec = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=limits.RFQ_SPEC
        )
        design = serializers.IntegerField(required=False, allow_null=True, min_value=1)
        factory = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            help_text="a directed RFQ: only this audited factory (its id) is invited",
        )

        def validate_factory(self, value):
            if value is None:
                return None
            factory = capacity.directable_factory(pk=value)
            if factory is None:
                raise serializers.ValidationError(_("Choose an audited factory."))
            return factory

        def validate_design(self, value):
            """The caller's own saved design (another organization's is not found)."""
            if value is None:
                return None
            design = design_get(organization=self.context["organization"], pk=value)
            if design is None:
                raise serializers.ValidationError(_("Choose one of your own saved designs."))
            return design

    @extend_schema(responses={200: RFQOutputSerializer(many=True)})
    def get(self, request):
        queryset = selectors.rfq_list(organization=self.organization)
        status_filter = request.query_params.get("status")
        if status_filter:
            queryset = queryset.filter(status=status_filter)
        page = self.paginate_queryset(queryset)
        context = {"organization": self.organization}
        return self.get_paginated_response(
            RFQOutputSerializer(page, many=True, context=context).data
        )

    @extend_schema(request=InputSerializer, responses={201: RFQOutputSerializer})
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data, context={"organization": self.organization})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        rfq = services.rfq_create(
            buyer=self.organization,
            acting_user=request.user,
            attachments=request.FILES.getlist("attachments"),
            **fields,
        )
        rfq = selectors.rfq_get(organization=self.organization, pk=rfq.pk)
        body = RFQOutputSerializer(rfq, context={"organization": self.organization}).data
        return Response(body, status=status.HTTP_201_CREATED)


class RfqDetailApi(OrdersAPIView):
    @extend_schema(responses={200: RFQOutputSerializer})
    def get(self, request, pk: int):
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        return Response(RFQOutputSerializer(rfq, context={"organization": self.organization}).data)


class RfqCancelApi(OrdersAPIView):
    @extend_schema(request=None, responses={200: RFQOutputSerializer})
    def post(self, request, pk: int):
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        services.rfq_cancel(
            rfq=rfq, acting_organization=self.organization, acting_user=request.user
        )
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        return Response(RFQOutputSerializer(rfq, context={"organization": self.organization}).data)


class QuoteFieldsSerializer(serializers.Serializer):
    unit_price = MoneyField()
    lead_time_days = serializers.IntegerField(**limits.LEAD_TIME_DAYS.field)
    sample_fee = MoneyField(required=False)
    valid_until = serializers.DateField()
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.QUOTE_NOTE
    )
    tiers = TierSerializer(many=True, required=False)
    # The quality terms offered (fixed on the order when the quote is accepted); without
    # them, the default AQL and the category's checklist.
    aql = serializers.ChoiceField(choices=list(AQL_CHOICES), required=False)
    inspection_checklist = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=30
    )


class RfqQuotesApi(OrdersAPIView):
    @extend_schema(responses={200: QuoteOutputSerializer(many=True)})
    def get(self, request, pk: int):
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        quotes = selectors.quotes_for_rfq(rfq=rfq, organization=self.organization)
        page = self.paginate_queryset(quotes)
        return self.get_paginated_response(QuoteOutputSerializer(page, many=True).data)

    @extend_schema(request=QuoteFieldsSerializer, responses={201: QuoteOutputSerializer})
    @idempotent
    def post(self, request, pk: int):
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        data = QuoteFieldsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        quote = services.quote_submit(
            rfq=rfq,
            factory=self.organization,
            acting_user=request.user,
            tiers=tiers_from(fields.pop("tiers", [])),
            **fields,
        )
        quote = selectors.quote_get(organization=self.organization, pk=quote.pk)
        return Response(QuoteOutputSerializer(quote).data, status=status.HTTP_201_CREATED)


class QuoteDetailApi(OrdersAPIView):
    class PatchSerializer(QuoteFieldsSerializer):
        unit_price = MoneyField(required=False)
        lead_time_days = serializers.IntegerField(required=False, **limits.LEAD_TIME_DAYS.field)
        valid_until = serializers.DateField(required=False)
        note = serializers.CharField(required=False, allow_blank=True, max_length=limits.QUOTE_NOTE)

    @extend_schema(responses={200: QuoteOutputSerializer})
    def get(self, request, pk: int):
        quote = selectors.quote_get(organization=self.organization, pk=pk)
        return Response(QuoteOutputSerializer(quote).data)

    @extend_schema(request=PatchSerializer, responses={200: QuoteOutputSerializer})
    def patch(self, request, pk: int):
        """Revise the quote (the factory, before acceptance)."""
        quote = selectors.quote_get(organization=self.organization, pk=pk)
        # Not partial=True: every field is already optional here, and partial would also
        # let a tier through without its quantity or price.
        data = self.PatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "tiers" in fields:
            fields["tiers"] = tiers_from(fields["tiers"])
        services.quote_revise(
            quote=quote, acting_organization=self.organization, acting_user=request.user, **fields
        )
        quote = selectors.quote_get(organization=self.organization, pk=pk)
        return Response(QuoteOutputSerializer(quote).data)


class QuoteWithdrawApi(OrdersAPIView):
    @extend_schema(request=None, responses={200: QuoteOutputSerializer})
    def post(self, request, pk: int):
        quote = selectors.quote_get(organization=self.organization, pk=pk)
        services.quote_withdraw(quote=quote, acting_organization=self.organization)
        return Response(
            QuoteOutputSerializer(selectors.quote_get(organization=self.organization, pk=pk)).data
        )


def _order_body(view: OrdersAPIView, order_pk: int) -> dict:
    order = selectors.order_get(
        organization=view.organization, pk=order_pk, relations=selectors.ORDER_DETAIL_RELATIONS
    )
    return OrderOutputSerializer(order, context={"organization": view.organization}).data


class QuoteAcceptApi(OrdersAPIView):
    class InputSerializer(serializers.Serializer):
        with_sample = serializers.BooleanField(required=False, default=True)

    @extend_schema(request=InputSerializer, responses={201: OrderOutputSerializer})
    @idempotent
    def post(self, request, pk: int):
        quote = selectors.quote_get(organization=self.organization, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.quote_accept(
            quote=quote,
            acting_organization=self.organization,
            acting_user=request.user,
            with_sample=data.validated_data["with_sample"],
        )
        return Response(_order_body(self, order.pk), status=status.HTTP_201_CREATED)


class RfqMessagesApi(OrdersAPIView):
    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=limits.MESSAGE)
        factory = serializers.SlugRelatedField(
            slug_field="slug",
            queryset=Organization.objects.filter(kind=Organization.Kind.FACTORY),
            required=False,
        )
        proposed_unit_price = MoneyField(required=False)
        proposed_ready_by = serializers.DateField(required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        factory = serializers.SlugRelatedField(slug_field="slug", read_only=True)
        author_organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
        body = serializers.CharField(
            source="display_body",
            help_text="A person's words as written; a message the platform wrote (a quote's "
            "revision) is in the request's language.",
        )
        proposed_unit_price = MoneyField(allow_null=True)
        proposed_ready_by = serializers.DateField(allow_null=True)
        created_at = serializers.DateTimeField()

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request, pk: int):
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        messages = selectors.rfq_thread(rfq=rfq, organization=self.organization)
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request, pk: int):
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.rfq_message_post(
            rfq=rfq,
            acting_organization=self.organization,
            acting_user=request.user,
            **data.validated_data,
        )
        return Response(self.OutputSerializer(message).data, status=status.HTTP_201_CREATED)


class RfqDeclineApi(OrdersAPIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=DECLINE_REASON_MAX, help_text="Why the factory will not quote."
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: RFQOutputSerializer},
        description=(
            "An invited factory declines to quote, saying why: its invitation becomes "
            "`declined` with the reason, which the buyer sees and is told of. 409 once the "
            "factory has quoted or the RFQ is closed."
        ),
    )
    def post(self, request, pk: int):
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.rfq_decline(
            rfq=rfq,
            acting_organization=self.organization,
            acting_user=request.user,
            reason=data.validated_data["reason"],
        )
        rfq = selectors.rfq_get(organization=self.organization, pk=pk)
        return Response(RFQOutputSerializer(rfq, context={"organization": self.organization}).data)


class OrderListApi(OrdersAPIView):
    queryset = Order.objects.all()
    # The page and the count in one query; the page's rows as dicts of these values.
    pagination_class = CountInPagePagination
    page_values = selectors.ORDER_SUMMARY_VALUES

    # The answer is `OrderSummarySerializer`'s, built from plain rows (`order_summaries_data`).
    @extend_schema(responses={200: OrderSummarySerializer(many=True)})
    def get(self, request):
        queryset = self.get_queryset()
        status_filter = request.query_params.get("status") or None
        if status_filter:
            queryset = queryset.filter(status=status_filter)
        # The page itself by the selector's written-out statement (the queryset's rows);
        # Django's paginator still takes the queryset for an empty page or "last".
        self.page_rows = lambda offset, limit: selectors.order_summary_page(
            organization=self.organization, status=status_filter, offset=offset, limit=limit
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(order_summaries_data(page, self.organization))


class OrderDetailApi(OrdersAPIView):
    @extend_schema(responses={200: OrderOutputSerializer})
    def get(self, request, pk: int):
        return Response(_order_body(self, pk))


class OrderTransitionApi(OrdersAPIView):
    parser_classes = PARSERS

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=[action.value for action in Action])
        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=limits.ORDER_NOTE
        )
        # ship_sample / ship
        carrier = serializers.CharField(required=False, allow_blank=True, max_length=100)
        tracking_number = serializers.CharField(required=False, allow_blank=True, max_length=100)
        shipped_on = serializers.DateField(required=False)
        # accept_short_shipment
        quantity = serializers.IntegerField(required=False)
        # record_inspection
        defects_found = serializers.IntegerField(required=False, **limits.DEFECTS_FOUND.field)
        aql = serializers.ChoiceField(required=False, choices=AQL_CHOICES)
        checklist = serializers.JSONField(required=False)
        # open_dispute
        reason = serializers.CharField(
            required=False, allow_blank=True, max_length=limits.DISPUTE_REASON
        )

    @extend_schema(request=InputSerializer, responses={200: OrderOutputSerializer})
    def post(self, request, pk: int):
        order = selectors.order_get(organization=self.organization, pk=pk, relations=())
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        details = dict(data.validated_data)
        action, note = details.pop("action"), details.pop("note")
        details["photos"] = request.FILES.getlist("photos")
        details["evidence"] = request.FILES.getlist("evidence")
        services.order_transition(
            order=order,
            action=action,
            acting_user=request.user,
            acting_organization=self.organization,
            note=note,
            details=details,
        )
        return Response(_order_body(self, pk))


class OrderEventsApi(OrdersAPIView):
    @extend_schema(
        responses={
            200: inline_serializer("OrderEvents", {"results": EventOutputSerializer(many=True)})
        }
    )
    def get(self, request, pk: int):
        order = selectors.order_get(organization=self.organization, pk=pk, relations=("events",))
        return Response({"results": EventOutputSerializer(order.events.all(), many=True).data})


# The whole series, not a page: `{"results": [...]}` without the page envelope, with the
# entries it sums and their total.
PROGRESS_RESPONSE = inline_serializer(
    "OrderProgress",
    {
        "results": ProgressPointSerializer(many=True),
        "entries": ProgressEntrySerializer(many=True),
        "total": serializers.IntegerField(),
        "quantity": serializers.IntegerField(),
    },
)


def _progress_body(order: Order, rows: list[dict] | None = None) -> dict:
    """The series and its entries of `order`: `rows` (`selectors.progress_report_rows`),
    else read fresh, as plain rows (one query)."""
    if rows is None:
        rows = selectors.progress_report_rows(order)
    points = selectors.progress_points(
        order.production_plan, ((row["day"], row["units"]) for row in rows)
    )
    return {
        "results": progress_points_data(points),
        "entries": progress_rows_data(rows),
        "total": sum(row["units"] for row in rows),
        "quantity": order.quantity,
    }


class OrderProgressApi(OrdersAPIView):
    """The daily series (`results`), and the entries it sums: each report adds units; a
    correction is its own entry (`corrects`, the signed difference, its reason)."""

    class InputSerializer(serializers.Serializer):
        day = serializers.DateField()
        units = serializers.IntegerField(**limits.PROGRESS_UNITS.field)
        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=limits.SHORT_NOTE
        )

    @extend_schema(responses={200: PROGRESS_RESPONSE})
    def get(self, request, pk: int):
        return Response(
            _progress_body(selectors.order_row_get(organization=self.organization, pk=pk))
        )

    @extend_schema(request=InputSerializer, responses={201: PROGRESS_RESPONSE})
    def post(self, request, pk: int):
        """Add an entry: units finished on `day` (added to the total, never replacing)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The service's lock looks the order up among the caller's (404 for another's):
        # the input is checked first, since it says nothing about any order.
        entry, rows = services.production_progress_record_entries(
            order_pk=pk,
            acting_organization=self.organization,
            acting_user=request.user,
            **data.validated_data,
        )
        # `entry.order`, `rows`: the order and its entries as the service read them locked.
        return Response(_progress_body(entry.order, rows), status=status.HTTP_201_CREATED)


class OrderProgressCorrectionApi(OrdersAPIView):
    class InputSerializer(serializers.Serializer):
        entry = serializers.IntegerField(min_value=1)
        units = serializers.IntegerField(min_value=0, max_value=10_000_000)
        reason = serializers.CharField(max_length=300)

    @extend_schema(request=InputSerializer, responses={201: PROGRESS_RESPONSE})
    def post(self, request, pk: int):
        """Correct an entry to `units`, with the reason: recorded as a correction entry."""
        order = selectors.order_row_get(organization=self.organization, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        correction = services.production_progress_correct(
            order=order,
            acting_organization=self.organization,
            acting_user=request.user,
            entry_pk=data.validated_data["entry"],
            units=data.validated_data["units"],
            reason=data.validated_data["reason"],
        )
        return Response(_progress_body(correction.order), status=status.HTTP_201_CREATED)


class OrderInspectorApi(OrdersAPIView):
    """The buyer assigns the inspection organization (or the platform) to the order."""

    class InputSerializer(serializers.Serializer):
        inspector = serializers.SlugRelatedField(
            slug_field="slug", queryset=Organization.objects.all()
        )

    @extend_schema(request=InputSerializer, responses={200: OrderOutputSerializer})
    def post(self, request, pk: int):
        self.order_input_call(request, pk, services.order_inspector_assign)
        return Response(_order_body(self, pk))


class OrderHoldExtensionApi(OrdersAPIView):
    """Move the production plan, the promised date and the capacity hold later while a
    sample is under way (buyer or factory), within the factory's free capacity."""

    class InputSerializer(serializers.Serializer):
        days = serializers.IntegerField(**limits.HOLD_EXTENSION_DAYS.field)
        note = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=limits.SHORT_NOTE
        )

    @extend_schema(request=InputSerializer, responses={200: OrderOutputSerializer})
    def post(self, request, pk: int):
        self.order_input_call(request, pk, services.order_hold_extend)
        return Response(_order_body(self, pk))


class OrderRepeatApi(OrdersAPIView):
    class InputSerializer(serializers.Serializer):
        quantity = serializers.IntegerField(**limits.QUANTITY.field)
        ready_by = serializers.DateField()

    @extend_schema(request=InputSerializer, responses={201: OrderOutputSerializer})
    @idempotent
    def post(self, request, pk: int):
        repeat = self.order_input_call(request, pk, services.order_repeat)
        return Response(_order_body(self, repeat.pk), status=status.HTTP_201_CREATED)


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    order = serializers.IntegerField(source="order_id")
    factory = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    quality = serializers.IntegerField()
    delivery = serializers.IntegerField()
    communication = serializers.IntegerField()
    average = serializers.FloatField()
    comment = serializers.CharField()
    reply = serializers.CharField()
    replied_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class OrderReviewApi(OrdersAPIView):
    class InputSerializer(serializers.Serializer):
        quality = serializers.IntegerField(**limits.REVIEW_SCORE.field)
        delivery = serializers.IntegerField(**limits.REVIEW_SCORE.field)
        communication = serializers.IntegerField(**limits.REVIEW_SCORE.field)
        comment = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=limits.REVIEW_COMMENT
        )

    @extend_schema(request=InputSerializer, responses={201: ReviewOutputSerializer})
    def post(self, request, pk: int):
        review = self.order_input_call(request, pk, services.review_create)
        return Response(ReviewOutputSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewReplyApi(OrdersAPIView):
    queryset = Review.objects.all()

    class InputSerializer(serializers.Serializer):
        reply = serializers.CharField(max_length=limits.REVIEW_REPLY)

    @extend_schema(request=InputSerializer, responses={200: ReviewOutputSerializer})
    def post(self, request, pk: int):
        self.kwargs.setdefault("pk", pk)
        review = self.get_object()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_reply(
            review=review,
            acting_organization=self.organization,
            acting_user=request.user,
            reply=data.validated_data["reply"],
        )
        return Response(ReviewOutputSerializer(review).data)


class RfqAttachmentApi(OrdersAPIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk: int, attachment_pk: int):
        stored, name = selectors.rfq_attachment_get(
            organization=self.organization, rfq_pk=pk, pk=attachment_pk
        )
        return private_file_response(stored, download_name=name, inline=True)


class OrderMessagesApi(OrdersAPIView):
    parser_classes = PARSERS

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=MESSAGE_BODY_MAX
        )
        attachments = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            max_length=MESSAGE_ATTACHMENTS_MAX,
            help_text="Up to five images (PNG, JPEG, WebP) or PDFs; send as multipart.",
        )

    @extend_schema(
        responses={200: OrderMessageOutputSerializer(many=True)},
        description=(
            "The order's message thread between buyer and factory, oldest first. Reading it "
            "marks the conversation read for the caller (as opening the order page does)."
        ),
    )
    def get(self, request, pk: int):
        order = selectors.order_get(organization=self.organization, pk=pk, relations=())
        page = self.paginate_queryset(selectors.order_thread(order=order))
        services.conversation_mark_read(
            user=request.user, organization=self.organization, order=order
        )
        return self.get_paginated_response(OrderMessageOutputSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer, "application/json": InputSerializer},
        responses={201: OrderMessageOutputSerializer},
        description="A message to the other party, with text, attachments or both.",
    )
    def post(self, request, pk: int):
        order = selectors.order_get(organization=self.organization, pk=pk, relations=())
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.order_message_post(
            order=order,
            acting_organization=self.organization,
            acting_user=request.user,
            body=data.validated_data["body"],
            attachments=request.FILES.getlist("attachments"),
        )
        message = selectors.order_thread(order=order).get(pk=message.pk)
        body = OrderMessageOutputSerializer(message).data
        return Response(body, status=status.HTTP_201_CREATED)


class OrderFileApi(OrdersAPIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk: int, kind: str, file_pk: int):
        stored, name = selectors.order_file_get(
            organization=self.organization, order_pk=pk, kind=kind, pk=file_pk
        )
        return private_file_response(stored, download_name=name, inline=True)
