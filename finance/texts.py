"""The finance app's system sentences (ledger memos, notifications), kept as keys and
parameters and rendered in the reader's language (`marketplace.texts`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from finance.models import DisputeDecision, PaymentPurpose
from marketplace.texts import define, define_choices

define_choices("finance.payment_purpose", PaymentPurpose)
define_choices("finance.dispute_outcome", DisputeDecision.Outcome)
define("finance.milestone.sample", _("sample"))
define("finance.milestone.inspection", _("inspection"))
define("finance.milestone.delivery", _("delivery"))

# Notifications.
LEDGER_IMBALANCE = define("finance.ledger_imbalance.title", _("Ledger imbalance found"))
CREDIT_OVERDUE = define("finance.credit_overdue.title", _("Credit repayment overdue"))
CREDIT_OVERDUE_BODY = define(
    "finance.credit_overdue.body",
    _("%(amount)s of credit is overdue. New credit payments are blocked until it is repaid."),
)

CREDIT_LIMIT_SET = define("finance.credit_limit_set.title", _("Your credit limit is now %(limit)s"))
CREDIT_REPAID = define(
    "finance.credit_repaid.title", _("Your credit repayment of %(amount)s is recorded")
)
CREDIT_REPAID_BODY = define("finance.credit_repaid.body", _("Still in use: %(used)s."))
CREDIT_WRITTEN_OFF = define(
    "finance.credit_written_off.title",
    _("Your credit line is closed: %(amount)s was written off"),
)
BANK_TRANSFER_ARRIVED = define(
    "finance.bank_transfer_arrived.title",
    _("Your bank transfer %(reference)s arrived: %(amount)s"),
)
PAYMENT_COMPLETE = define("finance.payment_complete.body", _("The payment is complete."))
PAYMENT_MISSING = define("finance.payment_missing.body", _("%(missing)s is still missing."))
PAYOUT_SENT = define("finance.payout_sent.title", _("Payout of %(amount)s sent (%(reference)s)"))

ADVANCE_PAID = define(
    "finance.advance_paid.title", _("Advance of %(amount)s on PO-%(pk)06d paid out")
)
ADVANCE_REJECTED = define(
    "finance.advance_rejected.title", _("Advance of %(amount)s on PO-%(pk)06d rejected")
)

# Order timeline notes.
NOTE_PAID_FROM_PLEDGES = define(
    "finance.note.paid_from_pledges", _("Paid from the campaign's pledges.")
)
NOTE_PAID_INTO_ESCROW = define("finance.note.paid_into_escrow", _("Paid into escrow."))

# Ledger memos (shown on statements).
MEMO_PAID_OUT = define("finance.memo.paid_out", _("Paid out to %(name)s (%(reference)s)"))
MEMO_PLEDGE = define("finance.memo.pledge", _("%(number)s: pledge of %(buyer)s"))
MEMO_ADVANCE = define("finance.memo.advance", _("Advance on PO-%(pk)06d"))
MEMO_DISPUTE_RELEASE = define(
    "finance.memo.dispute_release", _("%(number)s: released by dispute decision")
)
MEMO_DISPUTE_REFUND = define("finance.memo.dispute_refund", _("Dispute decision"))
MEMO_RECEIVED = define(
    "finance.memo.received", _("%(number)s: %(purpose)s received (%(reference)s)")
)
MEMO_OVERPAID = define("finance.memo.overpaid", _("%(reference)s: received beyond the amount due"))
MEMO_MILESTONE_RELEASE = define(
    "finance.memo.milestone_release", _("%(number)s: %(milestone)s release")
)
MEMO_REFUND = define("finance.memo.refund", _("%(number)s: refund"))
MEMO_CANCELLED = define("finance.memo.cancelled", _("%(number)s cancelled"))
MEMO_CREDIT_REPAID = define("finance.memo.credit_repaid", _("Credit repaid by %(name)s"))
MEMO_CREDIT_WRITTEN_OFF = define(
    "finance.memo.credit_written_off", _("Credit written off, covered by the guarantee fund")
)
