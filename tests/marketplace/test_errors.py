"""Unmatched URLs and crashes: the API's JSON format under /api/, pages elsewhere."""

import pytest
from django.test import RequestFactory

from marketplace.views import server_error

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_unknown_page_is_a_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode()


def test_server_error_is_json_under_api_and_a_page_elsewhere():
    api = server_error(RequestFactory().get("/api/v1/orders/"))
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"
    page = server_error(RequestFactory().get("/dashboard/"))
    assert page.status_code == 500
    assert "Something went wrong" in page.content.decode()


def test_schema_and_docs_render(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/auth/signup/", "/api/v1/auth/token/", "/api/v1/me/"):
        assert path in text
    assert "SignupOutput" in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from our own static files (drf-spectacular-sidecar), not a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in (
        docs.content.decode()
    )
