"""A factory's audit: its submissions so far, and a new one with its evidence files."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from factories import selectors, services
from factories.api.views.base import FactoryAPIView
from marketplace import limits
from marketplace.api.parsers import BoundedJSONParser


class AuditListApi(FactoryAPIView):
    parser_classes = (MultiPartParser, FormParser, BoundedJSONParser)

    class InputSerializer(serializers.Serializer):
        legal_name = serializers.CharField(max_length=200)
        business_registration_number = serializers.CharField(max_length=60)
        note = serializers.CharField(required=False, allow_blank=True, max_length=limits.AUDIT_NOTE)
        business_registration = serializers.FileField()
        certificates = serializers.ListField(child=serializers.FileField(), required=False)
        photos = serializers.ListField(child=serializers.FileField(), required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        status = serializers.CharField()
        legal_name = serializers.CharField()
        business_registration_number = serializers.CharField()
        submitted_at = serializers.DateTimeField()
        reviewed_at = serializers.DateTimeField(allow_null=True)
        decision_reason = serializers.CharField()
        evidence = inline_serializer(
            "AuditEvidenceOut",
            {"kind": serializers.CharField(), "description": serializers.CharField()},
            many=True,
        )

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request):
        history = selectors.audit_history(organization=self.organization)
        page = self.paginate_queryset(history)
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        payload = request.data.copy() if hasattr(request.data, "getlist") else request.data
        if hasattr(request.data, "getlist"):
            payload.setlist("certificates", request.FILES.getlist("certificates"))
            payload.setlist("photos", request.FILES.getlist("photos"))
        data = self.InputSerializer(data=payload)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        submission = services.audit_submit(
            organization=self.organization,
            acting_user=request.user,
            legal_name=values["legal_name"],
            business_registration_number=values["business_registration_number"],
            note=values.get("note", ""),
            evidence=services.audit_evidence_list(
                business_registration=values["business_registration"],
                certificates=values.get("certificates", []),
                photos=values.get("photos", []),
            ),
        )
        submission = selectors.audit_submission_get(
            organization=self.organization, pk=submission.pk
        )
        return Response(self.OutputSerializer(submission).data, status=status.HTTP_201_CREATED)
