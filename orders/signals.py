"""Facts the orders app announces, always after the transaction that made them commits.

Other apps hook into orders through these (and `orders.transitions.register_guard`), never
by orders importing them; orders' own receivers (`orders.receivers`) turn facts into Celery
tasks, so that services never import tasks.

- `order_transitioned`: after every transition, automatic follow-ups included, with
  `order_pk`, `buyer_pk`, `factory_pk`, `action` (`orders.transitions.Action`),
  `from_status`, `to_status` and `party` (`orders.transitions.Party`, the actor's role).
- `order_opened`: an order was created (from an accepted quote, a repeat, a campaign) with
  `order_pk`, `buyer_pk`, `factory_pk` and `design_pk` (None unless made from a design).
- `rfq_created`: a buyer sent an RFQ (`rfq_pk`).
- `matching_demand_collect` (sent, not after commit, by the batch matcher when it plans,
  with `today` and `now`): a receiver returns a list of
  `orders.matching.selectors.OpenDemand` for its committed production demand (e.g. a
  group campaign that met its target); the matcher plans it with the open RFQs and holds
  the named factory's capacity for it under the demand's `reference`.
- `review_created`: a buyer reviewed a completed order (`review_pk`, `order_pk`,
  `factory_pk`).

Receivers run in the web process after commit: keep them quick and hand real work to a
task. A receiver that raises is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

order_transitioned = Signal()
order_opened = Signal()
rfq_created = Signal()
review_created = Signal()
matching_demand_collect = Signal()


def send_on_commit(signal: Signal, *, sender: type, **kwargs: Any) -> None:
    """Send `signal` once the current transaction commits (at once outside one)."""

    def send() -> None:
        for receiver, response in signal.send_robust(sender=sender, **kwargs):
            if isinstance(response, Exception):
                logger.error("Receiver %r failed for %r", receiver, kwargs, exc_info=response)

    transaction.on_commit(send)
