"""Wire formats shared by the orders API views (money as {"amount", "currency"})."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace import limits
from marketplace.api.serializers import MoneyField, OrganizationRefSerializer, PlainReadMixin
from marketplace.money import Money
from orders.inspection import order_aql_plan, order_checklist
from orders.models.orders import order_number, order_total_minor
from orders.selectors import (
    ProgressPoint,
    money_visible_to,
    order_money_visible,
    production_progress,
    quote_offer,
    reported_total,
    rfq_invitations_visible,
)
from orders.services import order_party
from orders.transitions import available_actions


class TierSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField(**limits.QUANTITY.field)
    unit_price = MoneyField()


def tiers_from(data: list[dict]) -> list[tuple[int, Money]]:
    return [(tier["min_quantity"], tier["unit_price"]) for tier in data]


class InvitationOutputSerializer(serializers.Serializer):
    factory = OrganizationRefSerializer()
    round = serializers.IntegerField()
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    available_units = serializers.IntegerField()
    earliest_completion = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    source = serializers.CharField()
    invited_at = serializers.DateTimeField()
    decline_reason = serializers.CharField(
        help_text="Why the factory declined to quote (status `declined`); empty otherwise."
    )


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return reverse(
            "api-rfq-attachment", kwargs={"pk": attachment.rfq_id, "attachment_pk": attachment.pk}
        )


class OrderMessageAttachmentOutputSerializer(AttachmentOutputSerializer):
    """An order message's file: the RFQ attachment's shape, served from the order."""

    def get_url(self, attachment) -> str:
        return reverse(
            "api-order-file",
            kwargs={"pk": attachment.message.order_id, "kind": "message", "file_pk": attachment.pk},
        )


class OrderMessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    author_organization = OrganizationRefSerializer()
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    attachments = OrderMessageAttachmentOutputSerializer(many=True)
    created_at = serializers.DateTimeField()

    def get_author(self, message) -> str:
        """The writer's name as shown on the order page (empty once the account is gone)."""
        return message.author.get_full_name() if message.author is not None else ""


class RFQOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    buyer = OrganizationRefSerializer()
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    title = serializers.CharField()
    quantity = serializers.IntegerField()
    ready_by = serializers.DateField()
    spec = serializers.CharField()
    design = serializers.IntegerField(source="design_id", allow_null=True)
    directed_to = serializers.IntegerField(
        source="directed_to_id",
        allow_null=True,
        help_text="the one factory a directed RFQ was sent to, else null",
    )
    currency = serializers.CharField()
    status = serializers.CharField()
    matched_factories = serializers.SerializerMethodField()
    attachments = AttachmentOutputSerializer(many=True)
    quote_count = serializers.IntegerField(
        required=False,
        help_text=_(
            "Quotes on this RFQ: all of them for the buyer, only its own for an invited factory."
        ),
    )
    invite_rounds = serializers.IntegerField()
    matched_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(InvitationOutputSerializer(many=True))
    def get_matched_factories(self, rfq) -> list[dict]:
        invitations = rfq_invitations_visible(rfq=rfq, organization=self.context["organization"])
        return list(InvitationOutputSerializer(invitations, many=True).data)


class QuoteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    rfq = serializers.IntegerField(source="rfq_id")
    factory = OrganizationRefSerializer()
    unit_price = MoneyField()
    sample_fee = MoneyField()
    total = serializers.SerializerMethodField()
    tiers = serializers.SerializerMethodField()
    lead_time_days = serializers.IntegerField()
    valid_until = serializers.DateField()
    note = serializers.CharField()
    aql = serializers.CharField()
    inspection_checklist = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    revision = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(MoneyField())
    def get_total(self, quote) -> dict:
        return quote_offer(quote, quantity=quote.rfq.quantity).total.as_wire()

    @extend_schema_field(TierSerializer(many=True))
    def get_tiers(self, quote) -> list[dict]:
        return [
            {"min_quantity": tier.min_quantity, "unit_price": tier_price.as_wire()}
            for tier in quote.tiers.all()
            for tier_price in [Money(tier.unit_price_minor, quote.currency)]
        ]


class EventOutputSerializer(PlainReadMixin, serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField()
    # None for what the system does on its own (e.g. requesting payment after approval).
    actor_organization = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    # A person's words as written; the system's notes in the request's language.
    note = serializers.CharField(source="display_note")
    data = serializers.JSONField()

    def get_actor(self, event) -> str:
        if event.actor is None:
            return "system"
        return event.actor.get_full_name()


class OrderSummarySerializer(PlainReadMixin, serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    status = serializers.CharField()
    buyer = OrganizationRefSerializer()
    factory = OrganizationRefSerializer()
    rfq = serializers.IntegerField(source="rfq_id", allow_null=True)
    quote = serializers.IntegerField(source="quote_id", allow_null=True)
    repeat_of = serializers.IntegerField(source="repeat_of_id", allow_null=True)
    design = serializers.IntegerField(source="design_id", allow_null=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    title = serializers.CharField()
    quantity = serializers.IntegerField()
    # Null for an inspector assigned to the order: it inspects, the deal is not its business.
    unit_price = MoneyField(allow_null=True)
    sample_fee = MoneyField(allow_null=True)
    total = MoneyField(allow_null=True)
    with_sample = serializers.BooleanField()
    ready_by = serializers.DateField()
    created_at = serializers.DateTimeField()
    status_changed_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        organization = self.context.get("organization")
        if organization is not None and not order_money_visible(instance, organization):
            data.update(unit_price=None, sample_fee=None, total=None)
        return data


def _moment_text(moment: datetime.datetime, zone: datetime.tzinfo) -> str:
    """What DRF's DateTimeField gives for an aware moment (read from the database): ISO
    8601 in `zone` (the request's time zone), "Z" for UTC; without its per-value calls."""
    text = moment.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _money_wire(amount_minor: int, currency: str) -> dict[str, str]:
    return Money(amount_minor, currency).as_wire()


def order_summaries_data(rows: list[dict[str, Any]], organization: Any) -> list[dict[str, Any]]:
    """The order list's page: what `OrderSummarySerializer` answers (the same keys in the
    same order, the same formats), built straight from summary rows
    (`selectors.ORDER_SUMMARY_VALUES`) without model instances or DRF's per-field calls."""
    # The request's time zone looked up once rather than per value.
    zone = timezone.get_current_timezone()
    data = []
    for row in rows:
        shown = money_visible_to(
            organization,
            buyer_id=row["buyer_id"],
            factory_id=row["factory_id"],
            inspector_id=row["inspector_id"],
        )
        currency, unit_minor = row["currency"], row["unit_price_minor"]
        sample_minor = row["sample_fee_minor"]
        total_minor = order_total_minor(
            unit_price_minor=unit_minor,
            quantity=row["quantity"],
            sample_fee_minor=sample_minor,
            with_sample=row["with_sample"],
        )
        category = row["category__slug"]
        data.append(
            {
                "id": row["pk"],
                "number": order_number(row["pk"]),
                "status": str(row["status"]),
                "buyer": {
                    "id": row["buyer_id"],
                    "slug": str(row["buyer__slug"]),
                    "name": str(row["buyer__name"]),
                },
                "factory": {
                    "id": row["factory_id"],
                    "slug": str(row["factory__slug"]),
                    "name": str(row["factory__name"]),
                },
                "rfq": row["rfq_id"],
                "quote": row["quote_id"],
                "repeat_of": row["repeat_of_id"],
                "design": row["design_id"],
                "category": None if category is None else str(category),
                "title": str(row["title"]),
                "quantity": int(row["quantity"]),
                "unit_price": _money_wire(unit_minor, currency) if shown else None,
                "sample_fee": _money_wire(sample_minor, currency) if shown else None,
                "total": _money_wire(total_minor, currency) if shown else None,
                "with_sample": bool(row["with_sample"]),
                "ready_by": row["ready_by"].isoformat(),
                "created_at": _moment_text(row["created_at"], zone),
                "status_changed_at": _moment_text(row["status_changed_at"], zone),
            }
        )
    return data


class InspectionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    aql = serializers.CharField()
    lot_size = serializers.IntegerField()
    sample_size = serializers.IntegerField()
    acceptance_number = serializers.IntegerField()
    defects_found = serializers.IntegerField()
    checklist = serializers.JSONField()
    passed = serializers.BooleanField()
    # The factory's own check counts (`cleared`) only once the buyer accepted it.
    self_check = serializers.BooleanField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    cleared = serializers.BooleanField()
    inspector_organization = OrganizationRefSerializer(allow_null=True)  # None: platform staff
    note = serializers.CharField()
    photos = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_photos(self, inspection) -> list[str]:
        return [
            reverse(
                "api-order-file",
                kwargs={"pk": inspection.order_id, "kind": "photo", "file_pk": photo.pk},
            )
            for photo in inspection.photos.all()
        ]


class ProgressPointSerializer(PlainReadMixin, serializers.Serializer):
    day = serializers.DateField()
    planned = serializers.IntegerField()
    actual = serializers.IntegerField()
    planned_cumulative = serializers.IntegerField()
    actual_cumulative = serializers.IntegerField()


class ProgressEntrySerializer(PlainReadMixin, serializers.Serializer):
    """A progress entry or a correction (`corrects`: the entry it corrects, `units` the
    signed difference); the reported total is the sum of `units`."""

    id = serializers.IntegerField(source="pk")
    day = serializers.DateField()
    units = serializers.IntegerField()
    note = serializers.CharField()
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    reported_at = serializers.DateTimeField()


class InspectionPlanSerializer(serializers.Serializer):
    aql = serializers.CharField()
    lot_size = serializers.IntegerField()
    sample_size = serializers.IntegerField()
    acceptance_number = serializers.IntegerField()


def progress_rows_data(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What `ProgressEntrySerializer` answers for each entry, built straight from progress
    rows (`selectors.progress_report_rows`, already oldest first). The values DRF's fields
    give (ISO 8601 dates; each moment in the current time zone, "Z" for UTC), without its
    per-value calls: the answer holds every entry, so this runs for each one on each write."""
    zone = timezone.get_current_timezone()
    data = []
    for row in rows:
        data.append(
            {
                "id": row["pk"],
                "day": row["day"].isoformat(),
                "units": int(row["units"]),
                "note": str(row["note"]),
                "corrects": row["corrects_id"],
                "reported_at": _moment_text(row["reported_at"], zone),
            }
        )
    return data


def progress_points_data(points: Iterable[ProgressPoint]) -> list[dict[str, Any]]:
    """What `ProgressPointSerializer` answers for each point of the series, as plain dicts."""
    return [
        {
            "day": point.day.isoformat(),
            "planned": int(point.planned),
            "actual": int(point.actual),
            "planned_cumulative": int(point.planned_cumulative),
            "actual_cumulative": int(point.actual_cumulative),
        }
        for point in points
    ]


def progress_entries_data(order) -> list[dict]:
    """Every entry then its corrections, in the order they were recorded."""
    rows = sorted(order.production_reports.all(), key=lambda item: (item.reported_at, item.pk))
    return list(ProgressEntrySerializer(rows, many=True).data)


class OrderOutputSerializer(OrderSummarySerializer):
    production_plan = serializers.JSONField()
    reservation_reference = serializers.CharField()
    hold_expires_at = serializers.DateTimeField(allow_null=True)
    capacity_booked = serializers.BooleanField()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_on = serializers.DateField(allow_null=True)
    sample_carrier = serializers.CharField()
    sample_tracking_number = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    events = EventOutputSerializer(many=True)
    inspections = InspectionOutputSerializer(many=True)
    progress = serializers.SerializerMethodField()
    progress_entries = serializers.SerializerMethodField()
    reported_quantity = serializers.SerializerMethodField()
    accepted_quantity = serializers.IntegerField(allow_null=True)
    ship_quantity = serializers.IntegerField()
    aql = serializers.CharField()
    inspection_checklist = serializers.SerializerMethodField()
    inspection_plan = serializers.SerializerMethodField()
    inspector = OrganizationRefSerializer(allow_null=True)
    available_actions = serializers.SerializerMethodField()

    @extend_schema_field(ProgressEntrySerializer(many=True))
    def get_progress_entries(self, order) -> list[dict]:
        return progress_entries_data(order)

    def get_reported_quantity(self, order) -> int:
        return reported_total(order)

    def get_inspection_checklist(self, order) -> list[str]:
        """The checklist that applies to the order (agreed in the quote)."""
        return order_checklist(order)

    @extend_schema_field(InspectionPlanSerializer)
    def get_inspection_plan(self, order) -> dict:
        return dict(InspectionPlanSerializer(order_aql_plan(order)).data)

    @extend_schema_field(ProgressPointSerializer(many=True))
    def get_progress(self, order) -> list[dict]:
        return list(ProgressPointSerializer(production_progress(order), many=True).data)

    def get_available_actions(self, order) -> list[str]:
        organization = self.context.get("organization")
        if organization is None:
            return []
        party = order_party(order=order, organization=organization)
        return [item.action for item in available_actions(status=order.status, party=party)]
