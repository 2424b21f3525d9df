"""Accounts API: sign-up, tokens, the caller's identity, invitations."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import limits, lockout, selectors, services
from marketplace.api.authentication import EMAIL_UNVERIFIED_MESSAGE
from marketplace.api.base import OrganizationAPIView
from marketplace.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from marketplace.api.throttling import ScopedRateThrottle
from marketplace.models import Invitation, Membership, Notification, Organization


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
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(write_only=True, max_length=limits.PASSWORD)
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
        password = serializers.CharField(write_only=True, max_length=limits.PASSWORD)
        name = serializers.CharField(max_length=100, required=False, default="api")

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("TokenOutput", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = lockout.authenticate_counted(
                request._request,
                email=data.validated_data["email"].lower(),
                password=data.validated_data["password"],
            )
        except lockout.SignInLockedError as locked:
            return Response(
                {"detail": str(locked)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(locked.retry_after)},
            )
        if user is None:
            return Response(
                {"detail": _("Email or password is incorrect.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if selectors.user_email_is_unverified(user=user):
            raise PermissionDenied(EMAIL_UNVERIFIED_MESSAGE)
        _token, key = services.api_token_create(user=user, name=data.validated_data["name"])
        return Response({"token": key})


class TokenListApi(GenericAPIView):
    """The caller's active API tokens (never the keys: only their first characters)."""

    permission_classes = (IsAuthenticated,)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        name = serializers.CharField()
        prefix = serializers.CharField()
        created_at = serializers.DateTimeField()
        last_used_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(selectors.api_tokens_for_user(user=request.user))
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)


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


class OrganizationInvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    email = serializers.EmailField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class InvitationListCreateApi(OrganizationAPIView):
    """The organization's pending invitations (GET) and a new one by email (POST)."""

    queryset = Invitation.objects.all()
    required_roles = Membership.MANAGING_ROLES

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        role = serializers.ChoiceField(
            choices=[Membership.Role.ADMIN, Membership.Role.MEMBER], default="member"
        )

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())

    @extend_schema(responses={200: OrganizationInvitationOutputSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            OrganizationInvitationOutputSerializer(page, many=True).data
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: OrganizationInvitationOutputSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, _token = services.invitation_create(
            organization=self.organization, acting_user=request.user, **data.validated_data
        )
        return Response(
            OrganizationInvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED
        )


class InvitationRevokeApi(OrganizationAPIView):
    queryset = Invitation.objects.all()
    required_roles = Membership.MANAGING_ROLES

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        services.invitation_revoke(invitation=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationOutputSerializer(serializers.Serializer):
    """Title and body in the request's language (Accept-Language or the language cookie)."""

    id = serializers.IntegerField(source="pk")
    topic = serializers.CharField()
    title = serializers.CharField(source="display_title")
    body = serializers.CharField(source="display_body")
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationListApi(OrganizationAPIView):
    """The caller's inbox in the organization it acts for, newest first; `?unread=true`."""

    queryset = Notification.objects.all()

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(recipient=self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only unread ones.")],
        responses={200: NotificationOutputSerializer(many=True)},
    )
    def get(self, request):
        queryset = self.get_queryset()
        if request.query_params.get("unread") in ("1", "true", "yes"):
            queryset = queryset.filter(read_at__isnull=True)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(NotificationOutputSerializer(page, many=True).data)


class NotificationReadApi(OrganizationAPIView):
    queryset = Notification.objects.all()

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(recipient=self.request.user)

    @extend_schema(request=None, responses={200: NotificationOutputSerializer})
    def post(self, request, pk: int):
        notification = self.get_object()
        services.notification_mark_read(
            user=request.user, organization=self.organization, notification_pk=notification.pk
        )
        notification.refresh_from_db()
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(OrganizationAPIView):
    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("NotificationsRead", {"marked": serializers.IntegerField()})
        },
    )
    def post(self, request):
        marked = services.notification_mark_read(user=request.user, organization=self.organization)
        return Response({"marked": marked})
