"""The IoT app's system sentences (alarm messages, lead titles, notifications, order notes),
kept as keys and parameters and rendered in the reader's language (`marketplace.texts`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from iot_gateway.models import LeadKind
from marketplace.texts import define, define_choices

define_choices("iot_gateway.lead_kind", LeadKind)

# Alarm messages (`Alarm.message_key`).
ALARM_HEARTBEAT = define(
    "iot_gateway.alarm.heartbeat", _("%(rule)s: no data for %(minutes)d minutes")
)
ALARM_ERROR_CODE = define("iot_gateway.alarm.error_code", _("%(rule)s: error code %(code)d"))
ALARM_THRESHOLD = define(
    "iot_gateway.alarm.threshold",
    _("%(rule)s: %(metric)s %(operator)s %(threshold)g (last %(value)g)"),
)

# Lead titles (`ServiceLead.title_key`).
LEAD_FROM_ALARM = define("iot_gateway.lead.from_alarm", _("%(kind)s: %(device)s (%(model)s)"))
LEAD_FROM_PREDICTION = define(
    "iot_gateway.lead.from_prediction",
    _("%(device)s (%(model)s) expected to fail in %(days)d days"),
)

# Notifications.
ALARM_RAISED = define("iot_gateway.alarm_raised.title", _("Alarm on %(device)s: %(message)s"))
ALARM_ESCALATED = define(
    "iot_gateway.alarm_escalated.title", _("Still unacknowledged: %(message)s")
)
LEAD_NEW = define("iot_gateway.lead_new.title", _("New service lead: %(title)s"))
LEAD_NEW_BODY = define("iot_gateway.lead_new.body", _("%(device)s in %(region)s."))
LEAD_QUOTED = define("iot_gateway.lead_quoted.title", _("%(provider)s quoted on %(title)s"))
LEAD_QUOTE_ACCEPTED = define(
    "iot_gateway.lead_quote_accepted.title", _("Your quote was accepted: %(title)s")
)
LEAD_QUOTE_ACCEPTED_BODY = define(
    "iot_gateway.lead_quote_accepted.body", _("Order %(number)s is awaiting payment.")
)

# Order timeline notes.
NOTE_LEAD_QUOTE_ACCEPTED = define(
    "iot_gateway.note.lead_quote_accepted", _("Quote on service lead %(pk)d accepted.")
)
