"""Admin actions that ask for a reason before they call a service.

`reason_action` turns `decide(request, obj, reason)` into an admin action: the first click
shows the selected objects with a reason box, the second calls the service for each object
inside `audit_context` (so the audit log carries the operator and the reason). A domain
refusal on one object is reported and does not hold back the others.

`export_csv` is on every changelist (added by the operators' admin site)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.console.audit import audit_context
from marketplace.console.staff import permission_require
from marketplace.exceptions import DomainError


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy("Recorded in the audit log and shown to the people affected."),
    )


def reason_action(
    *, name: str, description: Any, permission: str, decide: Callable[..., Any]
) -> Callable:
    @admin.action(description=description)
    def action(modeladmin, request, queryset):
        permission_require(user=request.user, permission=permission)
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "objects": queryset,
                "form": form,
                "action": name,
                "opts": modeladmin.model._meta,
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            }
            return TemplateResponse(request, "admin/console/action_reason.html", context)
        reason = form.cleaned_data["reason"]
        done = 0
        for obj in queryset:
            try:
                with audit_context(acting_user=request.user, reason=reason):
                    decide(request=request, obj=obj, reason=reason)
            except (DomainError, ValidationError) as error:
                text = " ".join(getattr(error, "messages", [str(error)]))
                modeladmin.message_user(request, f"{obj}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, _("%(count)d done.") % {"count": done})
        return None

    action.__name__ = name
    return action


@admin.action(description=gettext_lazy("Export selected rows as CSV"))
def export_csv(modeladmin, request, queryset):
    """Every changelist's rows as CSV, with the columns the list shows (money as money,
    titles as titles). Site-wide: "select all" exports the whole filtered list. The list's
    own queryset (its `list_select_related`) feeds it, so it runs no query per row."""
    from django.contrib.admin.utils import label_for_field, lookup_field
    from django.http import HttpResponse
    from django.utils.html import strip_tags

    columns = [name for name in modeladmin.get_list_display(request) if name != "action_checkbox"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"c2m-{modeladmin.model._meta.model_name}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [strip_tags(str(label_for_field(name, modeladmin.model, modeladmin))) for name in columns]
    )
    for obj in queryset:
        row = []
        for name in columns:
            _field, _attr, value = lookup_field(name, obj, modeladmin)
            row.append("" if value is None else strip_tags(str(value)))
        writer.writerow(row)
    return response
