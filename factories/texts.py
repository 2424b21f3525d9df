"""The factories app's system sentences (notifications, reservation event notes), kept as
keys and parameters and rendered in the reader's language (`marketplace.texts`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from factories.models import Reservation
from marketplace.texts import define, define_choices

define_choices("factories.reservation_status", Reservation.Status)

CALENDAR_STALE = define(
    "factories.calendar_stale.title", _("Your capacity calendar needs updating")
)
CALENDAR_STALE_BODY = define(
    "factories.calendar_stale.body",
    _(
        "Buyers cannot book days you have not published. Your calendar has nothing "
        "published from %(date)s on."
    ),
)
AUDIT_APPROVED = define("factories.audit_approved.title", _("Your factory is verified"))
AUDIT_APPROVED_BODY = define(
    "factories.audit_approved.body",
    _("The audit was approved. Buyers can now find you in capacity search."),
)
AUDIT_REJECTED = define("factories.audit_rejected.title", _("Your factory audit was not approved"))
AUDIT_REJECTED_BODY = define(
    "factories.audit_rejected.body",
    _("Reason: %(reason)s\nFix the points above and submit again."),
)
CERTIFICATE_EXPIRED = define(
    "factories.certificate_expired.title", _("A certificate on your profile has expired")
)
CERTIFICATE_EXPIRED_BODY = define(
    "factories.certificate_expired.body",
    _("Expired: %(names)s. Upload the renewed certificate."),
)
CAPACITY_DRIFT = define(
    "factories.capacity_drift.title", _("Capacity search disagreed with the calendar")
)
CAPACITY_DRIFT_BODY = define(
    "factories.capacity_drift.body",
    _(
        "%(drifted)d capacity lines differed from the factories' calendars, "
        "%(missing)d were missing and %(stale)d had not rolled forward. They are "
        "repaired; a write that bypassed the read model is the likely cause."
    ),
)

# Reservation event notes.
NOTE_RESCHEDULED = define("factories.note.rescheduled", _("moved from %(days)s"))
NOTE_REBOOKED = define("factories.note.rebooked", _("re-reserved (was: %(status)s)"))
