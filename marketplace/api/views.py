"""Accounts API: sign-up, tokens, the caller's identity, invitations."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from marketplace import selectors, services
from marketplace.api.base import OrganizationAPIView
from marketplace.models import Membership, Organization


class OrganizationOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    verified = serializers.BooleanField()


class MembershipOutputSerializer(serializers.Serializer):
    organization = OrganizationOutputSerializer()
    role = serializers.CharField()


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    email = serializers.EmailField()
    full_name = serializers.CharField()


class SignupApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True)
        organization_name = serializers.CharField(max_length=200)
        organization_kind = serializers.ChoiceField(choices=list(Organization.SIGNUP_KINDS))

    class OutputSerializer(serializers.Serializer):
        user = UserOutputSerializer()
        organization = OrganizationOutputSerializer()
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            user, organization = services.user_signup(**data.validated_data)
            _token, key = services.api_token_create(user=user, name="signup")
            transaction.on_commit(lambda: services.email_verification_send(user=user))
        body = {"user": user, "organization": organization, "token": key}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenObtainApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True)
        name = serializers.CharField(max_length=100, required=False, default="api")

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("TokenOutput", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            email=data.validated_data["email"].lower(),
            password=data.validated_data["password"],
        )
        if user is None:
            return Response(
                {"detail": _("Email or password is incorrect.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        _token, key = services.api_token_create(user=user, name=data.validated_data["name"])
        return Response({"token": key})


class TokenListApi(APIView):
    permission_classes = (IsAuthenticated,)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        name = serializers.CharField()
        prefix = serializers.CharField()
        created_at = serializers.DateTimeField()
        last_used_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request):
        tokens = selectors.api_tokens_for_user(user=request.user)
        return Response({"results": self.OutputSerializer(tokens, many=True).data})


class TokenRevokeApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        if not services.api_token_revoke(user=request.user, token_pk=pk):
            return Response({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = (IsAuthenticated,)

    class OutputSerializer(UserOutputSerializer):
        memberships = MembershipOutputSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        memberships = selectors.memberships_for_user(user=request.user)
        body = {
            "pk": request.user.pk,
            "email": request.user.email,
            "full_name": request.user.full_name,
            "memberships": memberships,
        }
        return Response(self.OutputSerializer(body).data)


class InvitationCreateApi(OrganizationAPIView):
    required_roles = Membership.MANAGING_ROLES

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        role = serializers.ChoiceField(
            choices=[Membership.Role.ADMIN, Membership.Role.MEMBER], default="member"
        )

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        email = serializers.EmailField()
        role = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, _token = services.invitation_create(
            organization=self.organization, acting_user=request.user, **data.validated_data
        )
        return Response(self.OutputSerializer(invitation).data, status=status.HTTP_201_CREATED)
