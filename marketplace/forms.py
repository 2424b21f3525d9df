from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from marketplace import services
from marketplace.models import Membership, NotificationTopic, Organization

SIGNUP_KIND_CHOICES = [
    (kind, label) for kind, label in Organization.Kind.choices if kind in Organization.SIGNUP_KINDS
]


class SignupOrganizationForm(forms.Form):
    """Extra fields on allauth's sign-up: every person starts by owning an organization."""

    organization_name = forms.CharField(label=_("Organization name"), max_length=200)
    organization_kind = forms.ChoiceField(
        label=_("Your organization is a"), choices=SIGNUP_KIND_CHOICES
    )

    def signup(self, request, user) -> None:
        services.organization_create(
            name=self.cleaned_data["organization_name"],
            kind=self.cleaned_data["organization_kind"],
            owner=user,
        )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (Membership.Role.MEMBER, _("Member")),
            (Membership.Role.ADMIN, _("Admin")),
            (Membership.Role.SALES, _("Sales")),
            (Membership.Role.FINANCE, _("Finance")),
            (Membership.Role.PRODUCTION, _("Production")),
        ],
        help_text=_(
            "Sales hear of RFQs, quotes and messages; finance of payments and credit; "
            "production of orders, messages and equipment service. Members and admins hear "
            "of everything."
        ),
    )


class NotificationPreferencesForm(forms.Form):
    email_topics = forms.MultipleChoiceField(
        label=_("Email me about"),
        choices=NotificationTopic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Everything still shows in your inbox; this only decides the emails."),
    )
    language = forms.ChoiceField(
        label=_("Language of my emails"),
        choices=[("", _("The site's default")), *settings.LANGUAGES],
        required=False,
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
