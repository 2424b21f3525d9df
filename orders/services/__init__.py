"""Orders' writes and use cases. Interfaces (pages, API, admin, tasks) call these only."""

from orders.services.aftersales import order_repeat, review_create, review_reply
from orders.services.lifecycle import (
    order_mark_paid,
    order_open,
    order_party,
    order_transition,
)
from orders.services.performance import factory_performance_compute, factory_performance_push
from orders.services.production import (
    order_auto_step,
    orders_due_for_auto_step,
    orders_remind_overdue,
    production_progress_record,
)
from orders.services.quotes import quote_accept, quote_revise, quote_submit, quote_withdraw
from orders.services.rfqs import (
    rfq_cancel,
    rfq_create,
    rfq_invite_factories,
    rfq_match,
    rfq_message_post,
    rfq_reinvite,
    rfqs_expire,
    rfqs_needing_reinvite,
)

__all__ = [
    "factory_performance_compute",
    "factory_performance_push",
    "order_auto_step",
    "order_mark_paid",
    "order_open",
    "order_party",
    "order_repeat",
    "order_transition",
    "orders_due_for_auto_step",
    "orders_remind_overdue",
    "production_progress_record",
    "quote_accept",
    "quote_revise",
    "quote_submit",
    "quote_withdraw",
    "review_create",
    "review_reply",
    "rfq_cancel",
    "rfq_create",
    "rfq_invite_factories",
    "rfq_match",
    "rfq_message_post",
    "rfq_reinvite",
    "rfqs_expire",
    "rfqs_needing_reinvite",
]
