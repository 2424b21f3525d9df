"""Browser forms for orders. They only parse input; the services decide."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.selectors import category_leaves
from customization.selectors import designs_for
from marketplace import limits
from marketplace.money import Money
from marketplace.widgets import IsoDateInput
from orders.inspection import AQL_CHOICES, DEFAULT_AQL


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class MoneyInput(forms.DecimalField):
    """An amount in the RFQ's currency, returned as Money."""

    def __init__(self, *args, currency: str = "CNY", **kwargs):
        self.currency = currency
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", limits.AMOUNT_MAX)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else Money.from_decimal(amount, self.currency)


def _set_currency(field: forms.Field, currency: str) -> None:
    assert isinstance(field, MoneyInput)
    field.currency = currency


class RFQForm(forms.Form):
    category = forms.ModelChoiceField(queryset=category_leaves(), label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=limits.TITLE)
    quantity = forms.IntegerField(label=_("Quantity"), **limits.QUANTITY.field)
    ready_by = forms.DateField(label=_("Ready by"), widget=IsoDateInput)
    spec = forms.CharField(
        label=_("Specification"),
        max_length=limits.RFQ_SPEC,
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Materials, sizes, colours, packaging, anything the factory must know."),
    )
    attachments = MultipleFileField(
        label=_("Drawings and photos"),
        help_text=_("PDF, PNG, JPEG, WebP, DXF, DWG, STEP or ZIP; up to 10 MB each."),
    )
    design: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose one of your own saved designs.")},
    )

    def __init__(self, *args, organization, factory=None, factory_categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ready_by"].initial = timezone.localdate() + datetime.timedelta(days=14)
        # Only the caller's own designs: another organization's is not a valid choice.
        self.fields["design"].queryset = designs_for(organization=organization)  # type: ignore[attr-defined]
        self.factory = factory
        if factory is not None and factory_categories:
            # A directed RFQ: only what the chosen factory makes.
            self.fields["category"].queryset = category_leaves().filter(  # type: ignore[attr-defined]
                pk__in=[category.pk for category in factory_categories]
            )

    def clean(self):
        cleaned = super().clean()
        cleaned["factory"] = self.factory
        return cleaned


QUOTE_TIER_ROWS = 3  # empty tier rows the quote form offers (one more than saved, at least)
QUOTE_TIER_ROWS_MAX = 20
_TIER_FIELD = re.compile(r"^tier_(?:quantity|price)_(\d+)$")


class QuoteForm(forms.Form):
    """A quote with its quantity tiers, one row per tier. Revising a quote shows the saved
    values and tiers; a cleared row removes its tier."""

    unit_price = MoneyInput(label=_("Unit price"), min_value=Decimal("0.01"))
    sample_fee = MoneyInput(
        label=_("Sample fee"), required=False, help_text=_("0 for free sampling.")
    )
    lead_time_days = forms.IntegerField(label=_("Lead time (days)"), **limits.LEAD_TIME_DAYS.field)
    valid_until = forms.DateField(label=_("Valid until"), widget=IsoDateInput)
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limits.QUOTE_NOTE,
    )
    aql = forms.ChoiceField(
        label=_("Inspection AQL"),
        choices=[(aql, aql) for aql in AQL_CHOICES],
        initial=DEFAULT_AQL,
        required=False,
        help_text=_("The acceptable quality limit the final inspection samples at."),
    )
    inspection_checklist = forms.CharField(
        label=_("Inspection checklist"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=limits.INSPECTION_CHECKLIST,
        help_text=_("One check per line; leave empty for the category's checklist."),
    )

    def __init__(
        self,
        *args,
        currency: str = "CNY",
        tiers: Sequence[tuple[int, Money]] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        for name in ("unit_price", "sample_fee"):
            _set_currency(self.fields[name], currency)
        self.fields["valid_until"].initial = timezone.localdate() + datetime.timedelta(days=14)
        if self.is_bound:
            posted = [int(match[1]) for key in self.data if (match := _TIER_FIELD.match(key))]
            rows = min(max([QUOTE_TIER_ROWS, *posted]), QUOTE_TIER_ROWS_MAX)
        else:
            rows = max(QUOTE_TIER_ROWS, len(tiers) + 1)
        self.tier_count = rows
        for index in range(1, rows + 1):
            self.fields[f"tier_quantity_{index}"] = forms.IntegerField(
                label=_("Tier %(number)d: from quantity") % {"number": index},
                required=False,
                **limits.QUANTITY.field,
            )
            self.fields[f"tier_price_{index}"] = MoneyInput(
                label=_("Tier %(number)d: unit price") % {"number": index},
                currency=currency,
                min_value=Decimal("0.01"),
                required=False,
            )
        for index, (min_quantity, price) in enumerate(tiers, start=1):
            self.initial[f"tier_quantity_{index}"] = min_quantity
            self.initial[f"tier_price_{index}"] = price.amount

    def quote_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not _TIER_FIELD.match(name)]

    def tier_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"tier_quantity_{index}"], self[f"tier_price_{index}"])
            for index in range(1, self.tier_count + 1)
        ]

    def clean_aql(self) -> str:
        return self.cleaned_data["aql"] or DEFAULT_AQL

    def clean_inspection_checklist(self) -> list[str] | None:
        lines = [line.strip() for line in self.cleaned_data["inspection_checklist"].splitlines()]
        return [line for line in lines if line] or None

    def clean(self):
        data = super().clean()
        for index in range(1, self.tier_count + 1):
            quantity, price = f"tier_quantity_{index}", f"tier_price_{index}"
            if quantity in self.errors or price in self.errors:
                continue
            if bool(data.get(quantity)) != bool(data.get(price)):
                self.add_error(
                    quantity if not data.get(quantity) else price,
                    _("A tier needs both a quantity and a price."),
                )
        return data

    def quote_values(self) -> dict:
        """The cleaned quote fields, without the tier rows (see `tiers`)."""
        return {
            name: value for name, value in self.cleaned_data.items() if not _TIER_FIELD.match(name)
        }

    def tiers(self) -> list[tuple[int, Money]]:
        tiers = []
        for index in range(1, self.tier_count + 1):
            quantity = self.cleaned_data.get(f"tier_quantity_{index}")
            price = self.cleaned_data.get(f"tier_price_{index}")
            if quantity and price:
                tiers.append((quantity, price))
        return tiers


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}), max_length=limits.MESSAGE
    )
    proposed_unit_price = MoneyInput(label=_("Counter-offer: unit price"), required=False)
    proposed_ready_by = forms.DateField(
        label=_("Counter-offer: date"), widget=IsoDateInput, required=False
    )

    def __init__(self, *args, currency: str = "CNY", **kwargs):
        super().__init__(*args, **kwargs)
        _set_currency(self.fields["proposed_unit_price"], currency)


class OrderMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.MESSAGE,
    )
    attachments = MultipleFileField(
        label=_("Photos and documents"),
        help_text=_("PNG, JPEG, WebP or PDF; up to 5 files of 10 MB each."),
        widget=MultipleFileInput(attrs={"accept": ".png,.jpg,.jpeg,.webp,.pdf"}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The buyer sees this: no free capacity before the date, say, or a material you "
            "do not work with."
        ),
    )


class TransitionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, max_length=40)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.ORDER_NOTE,
    )
    carrier = forms.CharField(label=_("Carrier"), required=False, max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), required=False, max_length=100)
    shipped_on = forms.DateField(label=_("Shipped on"), required=False, widget=IsoDateInput)
    reason = forms.CharField(
        label=_("What is wrong?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.DISPUTE_REASON,
    )
    evidence = MultipleFileField(label=_("Evidence (photos, documents)"))
    quantity = forms.IntegerField(
        label=_("Units you accept"), required=False, **limits.QUANTITY.field
    )


class InspectionForm(forms.Form):
    """The inspection's results; the AQL and the checklist are the order's (agreed in the
    quote), not chosen here."""

    defects_found = forms.IntegerField(
        label=_("Defects found in the sample"), **limits.DEFECTS_FOUND.field
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.INSPECTION_NOTE,
    )
    photos = MultipleFileField(label=_("Photos"))

    def __init__(self, *args, checklist: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.checklist = checklist
        for index, item in enumerate(checklist):
            self.fields[f"check_{index}"] = forms.BooleanField(label=item, required=False)

    def checklist_results(self) -> list[dict]:
        return [
            {"item": item, "passed": bool(self.cleaned_data.get(f"check_{index}"))}
            for index, item in enumerate(self.checklist)
        ]


class ProgressForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=IsoDateInput, initial=timezone.localdate)
    units = forms.IntegerField(
        label=_("Units finished (this shift or batch)"), **limits.PROGRESS_UNITS.field
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=limits.SHORT_NOTE)


class ProgressCorrectionForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput, **limits.ROW_ID.field)
    units = forms.IntegerField(label=_("Correct units"), **limits.DAILY_UNITS.field)
    reason = forms.CharField(label=_("Reason for the correction"), max_length=limits.SHORT_NOTE)


class InspectorForm(forms.Form):
    inspector: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=_("Inspected by")
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = organizations  # type: ignore[attr-defined]


class HoldExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("Days later"), initial=3, **limits.HOLD_EXTENSION_DAYS.field)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=limits.SHORT_NOTE)


class RepeatForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), **limits.QUANTITY.field)
    ready_by = forms.DateField(label=_("Ready by"), widget=IsoDateInput)


class ReviewForm(forms.Form):
    SCORES = [(score, str(score)) for score in range(5, 0, -1)]
    quality = forms.TypedChoiceField(label=_("Quality"), choices=SCORES, coerce=int)
    delivery = forms.TypedChoiceField(label=_("Delivery"), choices=SCORES, coerce=int)
    communication = forms.TypedChoiceField(label=_("Communication"), choices=SCORES, coerce=int)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limits.REVIEW_COMMENT,
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.REVIEW_REPLY,
    )
