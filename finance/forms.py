from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from finance.models import PaymentMethod, PaymentPurpose


class PaymentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("What to pay"), choices=PaymentPurpose.choices)
    method = forms.ChoiceField(
        label=_("How to pay"), choices=PaymentMethod.choices, widget=forms.RadioSelect
    )
