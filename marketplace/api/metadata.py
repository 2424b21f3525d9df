"""What `OPTIONS` answers on every API view.

DRF's default metadata also describes each write action by building the view's serializer
and, on detail views, by fetching the object. Our views build their input serializers
inside the handlers and look objects up by scoped selectors, so that step crashed (500) on
many of them. The request and response shapes are in the OpenAPI schema at `/api/schema/`;
`OPTIONS` names the view and lists the media types it renders and parses.
"""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata


class ApiMetadata(SimpleMetadata):
    def determine_actions(self, request: Any, view: Any) -> dict[str, Any]:
        return {}
