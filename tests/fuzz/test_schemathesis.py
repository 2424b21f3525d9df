"""Schemathesis over every API operation, as every kind of organization and anonymous
(issue 14): no 5xx, and every response matches what the OpenAPI schema says (status code,
content type, headers, body), and data the schema forbids is refused.

`make fuzz` runs it long (FUZZ_EXAMPLES examples per operation and role, a FUZZ_MAX_TIME
budget per role); `make test` runs a short pass of it (the defaults below). The seed is
fixed (FUZZ_SEED), so a failure reproduces: its report lands in FUZZ_REPORT_DIR.

`positive_data_acceptance` is not among the checks: the API also refuses input no schema
can describe (an RFQ's ready-by date in the past, a category slug that does not exist, a
quote on an RFQ the factory was not invited to); its schema documents every bound, pattern,
enum and required field that can be described (tests/hardening/test_openapi_bounds.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.models import Organization
from orders.models import OrderStatus
from tests.helpers import api_client, make_organization
from tests.orders.conftest import drive, make_deal

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)
# The defaults are `make test`'s short pass; `make fuzz` sets longer ones (Makefile).
SEED = int(os.environ.get("FUZZ_SEED", "1414"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
MAX_TIME = int(os.environ.get("FUZZ_MAX_TIME", "20"))
PHASES = os.environ.get("FUZZ_PHASES", "fuzzing")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _token(user) -> str:
    from marketplace import services

    _token_row, key = services.api_token_create(user=user, name="fuzz")
    return key


@pytest.fixture
def roles():
    """A buyer with an order, its factory, a service provider, and anonymous."""
    deal = make_deal()
    drive(deal, OrderStatus.IN_PRODUCTION)
    _provider, provider_user = make_organization(Organization.Kind.SERVICE_PROVIDER)
    return {
        "reader": deal.buyer_user,
        "anonymous": None,
        "buyer": _token(deal.buyer_user),
        "factory": _token(deal.factory_user),
        "service_provider": _token(provider_user),
    }


@pytest.mark.parametrize("role", ["anonymous", "buyer", "factory", "service_provider"])
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    live_server, roles, role, tmp_path
):
    report_dir = Path(os.environ.get("FUZZ_REPORT_DIR", tmp_path)) / role
    # The schema is read as a signed-in client (anonymous callers may not read it); the
    # requests then go out as `role`.
    schema = api_client(roles["reader"]).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert schema.status_code == 200
    schema_file = tmp_path / "openapi.json"
    schema_file.write_bytes(schema.content)
    # Anonymous stays anonymous: no signing up through /auth/signup/ to get a token.
    config = tmp_path / "schemathesis.toml"
    config.write_text("[auth]\nauto-signup = false\n")
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        str(schema_file),
        "--url",
        live_server.url,
        "--checks",
        CHECKS,
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        "--max-time",
        str(MAX_TIME),
        "--workers",
        "1",
        "--phases",
        PHASES,
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        "--no-color",
    ]
    if roles[role] is not None:
        # Revoking its own token (the ids are small) would leave the rest of the run
        # anonymous; revocation has its own tests (tests/marketplace/test_api_accounts.py).
        command += ["--header", f"Authorization: Token {roles[role]}"]
        command += ["--exclude-path", "/api/v1/auth/tokens/{id}/"]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=MAX_TIME * 4 + 120,
        check=False,
        cwd=tmp_path,  # its example database (.schemathesis/) stays out of the repository
    )
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
