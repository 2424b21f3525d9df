"""Orders' writes and use cases. Interfaces (pages, API, admin, tasks) call these only."""

from orders.services.aftersales import order_repeat, review_create, review_reply
from orders.services.conversations import (
    conversation_mark_read,
    order_message_post,
    rfq_decline,
)
from orders.services.holds import hold_extension_open, order_hold_extend
from orders.services.open import order_open, order_open_for_service
from orders.services.performance import factory_performance_compute, factory_performance_push
from orders.services.production import (
    order_auto_step,
    orders_due_for_auto_step,
    orders_remind_overdue,
    production_progress_correct,
    production_progress_open,
    production_progress_record,
    production_progress_record_entries,
)
from orders.services.quality import inspector_assign_open, order_inspector_assign
from orders.services.quotes import (
    quote_accept,
    quote_revise,
    quote_save,
    quote_submit,
    quote_withdraw,
)
from orders.services.rfqs import (
    rfq_cancel,
    rfq_create,
    rfq_creator_check,
    rfq_invite_factories,
    rfq_match,
    rfq_message_post,
    rfq_reinvite,
    rfqs_expire,
    rfqs_needing_reinvite,
)
from orders.services.transition import (
    action_parse,
    order_mark_paid,
    order_party,
    order_transition,
    order_transition_apply,
)

__all__ = [
    "action_parse",
    "conversation_mark_read",
    "factory_performance_compute",
    "factory_performance_push",
    "hold_extension_open",
    "inspector_assign_open",
    "order_auto_step",
    "order_hold_extend",
    "order_inspector_assign",
    "order_mark_paid",
    "order_message_post",
    "order_open",
    "order_open_for_service",
    "order_party",
    "order_repeat",
    "order_transition",
    "order_transition_apply",
    "orders_due_for_auto_step",
    "orders_remind_overdue",
    "production_progress_correct",
    "production_progress_open",
    "production_progress_record",
    "production_progress_record_entries",
    "quote_accept",
    "quote_revise",
    "quote_save",
    "quote_submit",
    "quote_withdraw",
    "review_create",
    "review_reply",
    "rfq_cancel",
    "rfq_create",
    "rfq_creator_check",
    "rfq_decline",
    "rfq_invite_factories",
    "rfq_match",
    "rfq_message_post",
    "rfq_reinvite",
    "rfqs_expire",
    "rfqs_needing_reinvite",
]
