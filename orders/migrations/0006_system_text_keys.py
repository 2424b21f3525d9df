"""Existing notifications and timeline notes written as English sentences become message
keys and parameters, so they too are read in the reader's language. A row whose sentence
matches none of the patterns below (a person's words, text from another app, a sentence
written in another language) is kept as it is.

The patterns are frozen here as they were written when keys were introduced."""

import re

from django.db import migrations

STATUS_LABELS = {
    "Sample requested": "sample_requested",
    "Sample shipped": "sample_shipped",
    "Sample approved": "sample_approved",
    "Sample rejected": "sample_rejected",
    "Awaiting payment": "awaiting_payment",
    "Paid, ready for production": "paid",
    "In production": "in_production",
    "Quality inspection": "inspection",
    "Shipped": "shipped",
    "Delivered": "delivered",
    "Completed": "completed",
    "Disputed": "disputed",
    "Cancelled": "cancelled",
}

# Most specific first: "PO-000001: capacity hold extended by 3 days" is not a status.
TITLES = [
    ("orders.hold_extended.title", "%(number)s: capacity hold extended by %(days)d days"),
    ("orders.rfq_invited.title", "New RFQ matched to you: %(title)s"),
    ("orders.quote_revised.title", "%(factory)s revised its quote on %(title)s"),
    ("orders.quote_received.title", "New quote from %(factory)s on %(title)s"),
    ("orders.rfq_message.title", "New message on RFQ %(title)s"),
    ("orders.quote_accepted.title", "Your quote was accepted: %(number)s"),
    ("orders.quote_not_selected.title", "Quote not selected: %(title)s"),
    ("orders.repeat_order.title", "Repeat order %(number)s from %(buyer)s"),
    ("orders.review.title", "New review on %(number)s: %(score)s / 5"),
    ("orders.order_status.title", "%(number)s: %(status)s"),
    ("marketplace.organization_suspended.title", "Your organization is suspended"),
    ("marketplace.organization_restored.title", "Your organization is active again"),
]
BODIES = [
    ("orders.rfq_invited.body", "%(quantity)d × %(category)s, ready by %(date)s. Please quote."),
    ("orders.quote_received.body", "Unit price %(price)s, lead time %(days)d days."),
    ("orders.quote_accepted.body", "%(buyer)s ordered %(quantity)d units."),
    ("orders.repeat_order.body", "%(quantity)d units by %(date)s, same as %(original)s."),
    ("orders.hold_extended.body", "The promised ready date moved from %(old)s to %(new)s."),
    ("orders.note.payment_received", "Payment received."),
]
NOTES = [
    ("orders.note.repeat_of", "Repeat of %(number)s."),
    ("orders.note.quote_accepted", "Quote %(pk)d accepted (revision %(rev)d)."),
    ("orders.note.payment_received", "Payment received."),
]

_PARAM = re.compile(r"%\\\((\w+)\\\)([sd])")


def _compile(patterns):
    compiled = []
    for key, template in patterns:
        escaped = re.escape(template)
        regex = _PARAM.sub(
            lambda m: f"(?P<{m[1]}>\\d+)" if m[2] == "d" else f"(?P<{m[1]}>.+?)", escaped
        )
        integers = {m[1] for m in _PARAM.finditer(escaped) if m[2] == "d"}
        compiled.append((key, re.compile(f"^{regex}$", re.DOTALL), integers))
    return compiled


def _match(compiled, sentence):
    for key, regex, integers in compiled:
        found = regex.match(sentence)
        if found is None:
            continue
        params = {
            name: int(value) if name in integers else value
            for name, value in found.groupdict().items()
        }
        if key == "orders.order_status.title":
            status = STATUS_LABELS.get(params["status"])
            if status is None:
                continue
            params["status"] = {"key": f"orders.status.{status}", "params": {}}
        return key, params
    return None


def forwards(apps, schema_editor):
    Notification = apps.get_model("marketplace", "Notification")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    titles, bodies, notes = _compile(TITLES), _compile(BODIES), _compile(NOTES)
    batch = []
    for notification in Notification.objects.filter(title_key="").iterator(chunk_size=1000):
        changed = False
        title = _match(titles, notification.title)
        if title is not None:
            notification.title_key, notification.title_params = title
            notification.title = ""
            changed = True
        body = _match(bodies, notification.body) if notification.body else None
        if body is not None:
            notification.body_key, notification.body_params = body
            notification.body = ""
            changed = True
        if changed:
            batch.append(notification)
        if len(batch) >= 1000:
            Notification.objects.bulk_update(
                batch, ["title", "title_key", "title_params", "body", "body_key", "body_params"]
            )
            batch = []
    if batch:
        Notification.objects.bulk_update(
            batch, ["title", "title_key", "title_params", "body", "body_key", "body_params"]
        )
    events = []
    for event in OrderEvent.objects.filter(note_key="").exclude(note="").iterator(chunk_size=1000):
        note = _match(notes, event.note)
        if note is not None:
            event.note_key, event.note_params = note
            event.note = ""
            events.append(event)
    OrderEvent.objects.bulk_update(events, ["note", "note_key", "note_params"], batch_size=1000)


def backwards(apps, schema_editor):
    """Back to sentences: English, the language the rows were written in."""
    Notification = apps.get_model("marketplace", "Notification")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    templates = dict(TITLES + BODIES + NOTES)
    labels = {f"orders.status.{value}": label for label, value in STATUS_LABELS.items()}

    def sentence(key, params):
        values = {
            name: labels.get(value.get("key"), "") if isinstance(value, dict) else value
            for name, value in params.items()
        }
        return templates.get(key, key) % values if values else templates.get(key, key)

    for notification in Notification.objects.exclude(title_key="", body_key="").iterator():
        if notification.title_key:
            notification.title = sentence(notification.title_key, notification.title_params)[:200]
        if notification.body_key:
            notification.body = sentence(notification.body_key, notification.body_params)
        notification.save(update_fields=["title", "body"])
    for event in OrderEvent.objects.exclude(note_key="").iterator():
        event.note = sentence(event.note_key, event.note_params)
        event.save(update_fields=["note"])


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0006_notification_keys_topics_preferences"),
        ("orders", "0005_conversations"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
