"""The customization app's system sentences (campaign outcomes, ledger memos, order notes),
kept as keys and parameters and rendered in the reader's language (`marketplace.texts`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketplace.texts import define

PLEDGE_MEMO = define(
    "customization.memo.pledge", _("Pledge of %(quantity)d to campaign %(campaign)s")
)
TARGET_MET_REFUND = define(
    "customization.memo.target_met_refund",
    _("Campaign %(campaign)s met its target: the price dropped to %(price)s."),
)
NOTE_TARGET_MET = define("customization.note.target_met", _("Campaign %(pk)d met its target."))
OUTCOME_ORDER_FAILED = define(
    "customization.outcome.order_failed",
    _("The target was met but the order could not be placed: %(reason)s"),
)
OUTCOME_SHORT = define(
    "customization.outcome.short",
    _("%(pledged)d of %(target)d units pledged by the deadline: refunded."),
)
OUTCOME_ORDERED = define(
    "customization.outcome.ordered", _("Order %(number)s placed at %(price)s a unit.")
)
