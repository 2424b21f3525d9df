"""The platform dashboard (staff only, inside the admin): charts of the platform's year and
each chart's figures as CSV. One selector call per page; see `console.dashboard`."""

from __future__ import annotations

import csv

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from marketplace.console import charts, support
from marketplace.console.dashboard import PlatformDashboard, platform_dashboard
from marketplace.console.staff import START_SUPPORT_VIEW, permission_require
from marketplace.models import Organization
from marketplace.pages import form_add_errors
from orders.models import OrderStatus


def dashboard_urls(site) -> list:
    return [
        path("dashboard/", site.admin_view(_dashboard(site)), name="console_dashboard"),
        path(
            "dashboard/<slug:name>.csv",
            site.admin_view(dashboard_csv),
            name="console_dashboard_csv",
        ),
        path(
            "console/support/<int:organization_pk>/start/",
            site.admin_view(_support_start(site)),
            name="console_support_start",
        ),
        path(
            "console/support/leave/",
            site.admin_view(support_leave),
            name="console_support_leave",
        ),
    ]


class SupportStartForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy(
            "The ticket or question you are looking into; kept in the audit log."
        ),
    )


def _support_start(site):
    def view(request: HttpRequest, organization_pk: int) -> HttpResponse:
        permission_require(user=request.user, permission=START_SUPPORT_VIEW)
        organization = get_object_or_404(Organization, pk=organization_pk)
        form = SupportStartForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            running = support.support_view_for(request)
            if running is not None:
                support.support_view_end(session=running)
            try:
                session = support.support_view_start(
                    operator=request.user,
                    organization=organization,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form_add_errors(form, error)
            else:
                request.session[support.SESSION_KEY] = session.pk
                return HttpResponseRedirect(reverse("dashboard"))
        context = {
            **site.each_context(request),
            "title": _("Support view of %(name)s") % {"name": organization.name},
            "organization": organization,
            "form": form,
            "opts": Organization._meta,
        }
        return TemplateResponse(request, "admin/console/support_start.html", context)

    return view


@require_POST
def support_leave(request: HttpRequest) -> HttpResponse:
    session = support.support_view_for(request)
    request.session.pop(support.SESSION_KEY, None)
    if session is None:
        return HttpResponseRedirect(reverse("admin:index"))
    support.support_view_end(session=session)
    messages.info(
        request, _("You left the support view of %(name)s.") % {"name": session.organization.name}
    )
    return HttpResponseRedirect(
        reverse("admin:marketplace_organization_change", args=[session.organization_id])
    )


def _dashboard(site):
    def view(request: HttpRequest) -> HttpResponse:
        board = platform_dashboard()
        context = {
            **site.each_context(request),
            "title": _("Platform dashboard"),
            "board": board,
            "charts": _charts(board),
        }
        return TemplateResponse(request, "admin/console/dashboard.html", context)

    return view


def _charts(board: PlatformDashboard) -> dict:
    weekly = board.weekly_rows()
    statuses = dict(OrderStatus.choices)
    return {
        "gmv": charts.columns_svg(
            [(f"{row['week']:%Y-%m-%d}", row["gmv_minor"] or 0, str(row["gmv"])) for row in weekly]
        ),
        "orders": charts.columns_svg(
            [(f"{row['week']:%Y-%m-%d}", row["orders"], str(row["orders"])) for row in weekly],
            color="#2da44e",
        ),
        "status": charts.bars_svg(
            [
                (str(statuses.get(status, status)), count, f"{count:,}")
                for status, count in sorted(board.orders.by_status.items(), key=lambda i: -i[1])
            ]
        ),
        "capacity": charts.paired_bars_svg(
            [
                (row["category_name"], row["published"] or 0, row["booked"] or 0)
                for row in board.capacity
            ],
            names=(_("published"), _("booked")),
        ),
        "alarms": charts.columns_svg(
            [
                (f"{row['week']:%Y-%m-%d}", row["alarms"], str(row["alarms"]))
                for row in board.alarms_and_leads
            ],
            color="#cf222e",
        ),
        "leads": charts.columns_svg(
            [
                (f"{row['week']:%Y-%m-%d}", row["leads"], str(row["leads"]))
                for row in board.alarms_and_leads
            ],
            color="#8250df",
        ),
    }


def _csv_rows(board: PlatformDashboard, name: str) -> tuple[list[str], list[list]]:
    if name == "weekly":
        return ["week", "currency", "orders", "gmv"], [
            [
                f"{row['week']:%Y-%m-%d}",
                row["currency"],
                row["orders"],
                row["gmv"].as_wire()["amount"],
            ]
            for row in board.weekly_rows()
        ]
    if name == "status":
        return ["status", "orders"], sorted(board.orders.by_status.items())
    if name == "capacity":
        return ["category", "published", "booked", "held"], [
            [row["category_name"], row["published"], row["booked"], row["held"]]
            for row in board.capacity
        ]
    if name == "alarms-leads":
        return ["week", "alarms", "leads"], [
            [f"{row['week']:%Y-%m-%d}", row["alarms"], row["leads"]]
            for row in board.alarms_and_leads
        ]
    raise Http404


def dashboard_csv(request: HttpRequest, name: str) -> HttpResponse:
    header, rows = _csv_rows(platform_dashboard(), name)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="c2m-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
