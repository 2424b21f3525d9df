"""Orders: RFQs and who was invited to them, quotes, orders with their timeline, production
reports, inspections, disputes and reviews.

Rows here involve two organizations (a buyer and a factory); each queryset's
`for_organization` returns what one of them may see. The state machine lives in
`orders.transitions`; every write goes through `orders.services`.
"""

from orders.models.messages import ConversationRead, OrderMessage, OrderMessageAttachment
from orders.models.orders import Order, OrderEvent, OrderQuerySet, OrderStatus, ProductionReport
from orders.models.quality import (
    Dispute,
    DisputeEvidence,
    Inspection,
    InspectionChecklistItem,
    InspectionPhoto,
)
from orders.models.quotes import Quote, QuoteQuerySet, QuoteTier
from orders.models.reviews import Review, ReviewQuerySet
from orders.models.rfqs import RFQ, RFQAttachment, RFQInvitation, RFQMessage, RFQQuerySet

__all__ = [
    "RFQ",
    "ConversationRead",
    "Dispute",
    "DisputeEvidence",
    "Inspection",
    "InspectionChecklistItem",
    "InspectionPhoto",
    "Order",
    "OrderEvent",
    "OrderMessage",
    "OrderMessageAttachment",
    "OrderQuerySet",
    "OrderStatus",
    "ProductionReport",
    "Quote",
    "QuoteQuerySet",
    "QuoteTier",
    "RFQAttachment",
    "RFQInvitation",
    "RFQMessage",
    "RFQQuerySet",
    "Review",
    "ReviewQuerySet",
]
