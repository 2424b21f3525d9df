"""OpenAPI links for the RFQ -> quote -> order flow (issue 14): from a response, the
operations a client (or a stateful fuzzer) can call next, with the id taken from the body.
A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""

from __future__ import annotations

from typing import Any

BODY_ID = "$response.body#/id"


def _to(operation_id: str, description: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "parameters": {"id": BODY_ID},
        "description": description,
    }


QUOTE_NEXT = {
    "GetQuote": _to("quotes_retrieve", "Read the quote again."),
    "ReviseQuote": _to("quotes_partial_update", "The factory revises it (before acceptance)."),
    "AcceptQuote": _to("quotes_accept_create", "The buyer accepts it: an order is created."),
    "WithdrawQuote": _to("quotes_withdraw_create", "The factory withdraws it."),
}
RFQ_NEXT = {
    "GetRfq": _to("rfqs_retrieve", "Read the RFQ (matched factories, quote count)."),
    "ListQuotes": _to("rfqs_quotes_list", "Its quotes (a factory sees only its own)."),
    "SubmitQuote": _to("rfqs_quotes_create", "An invited factory quotes on it."),
    "PostMessage": _to("rfqs_messages_create", "A message or counter-offer on its thread."),
}
ORDER_NEXT = {
    "GetOrder": _to("orders_retrieve", "Read the order the accepted quote created."),
    "TransitionOrder": _to("orders_transitions_create", "Move the order on."),
}
# (operationId, status) -> links
LINKS = {
    ("rfqs_create", "201"): RFQ_NEXT,
    ("rfqs_retrieve", "200"): {k: v for k, v in RFQ_NEXT.items() if k != "GetRfq"},
    ("rfqs_quotes_create", "201"): QUOTE_NEXT,
    ("quotes_retrieve", "200"): {k: v for k, v in QUOTE_NEXT.items() if k != "GetQuote"},
    ("quotes_partial_update", "200"): QUOTE_NEXT,
    ("quotes_accept_create", "201"): ORDER_NEXT,
}


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    known = {
        operation.get("operationId")
        for methods in result.get("paths", {}).values()
        for operation in methods.values()
    }
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for (operation_id, status), links in LINKS.items():
                if operation.get("operationId") != operation_id:
                    continue
                response = operation["responses"].get(status)
                if response is not None:
                    response["links"] = {
                        name: link for name, link in links.items() if link["operationId"] in known
                    }
    return result
