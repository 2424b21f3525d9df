"""The operator's audit: a factory submits evidence; an operator approves or rejects it.

Approval is the only thing that sets `Organization.verified` for a factory, and only a
verified factory is matched to RFQs or shown in capacity search.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from factories.models import AuditEvidence, AuditSubmission, Certification, FactoryProfile
from factories.services.profile import factory_profile_ensure
from marketplace.images import image_header_check
from marketplace.models import Organization, User

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".webp")
EVIDENCE_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


class AuditStateError(Exception):
    """The submission is not in a state that allows this step."""


@dataclass(frozen=True)
class EvidenceInput:
    kind: str
    file: UploadedFile
    description: str = ""


def _check_evidence(evidence: list[EvidenceInput]) -> None:
    problems = []
    for item in evidence:
        name = (item.file.name or "").lower()
        if item.kind not in AuditEvidence.Kind.values:
            problems.append(_("Unknown evidence kind: %(kind)s.") % {"kind": item.kind})
        if not name.endswith(EVIDENCE_EXTENSIONS):
            problems.append(_("%(name)s: upload a PDF or an image.") % {"name": item.file.name})
        if item.file.size and item.file.size > EVIDENCE_MAX_BYTES:
            problems.append(_("%(name)s is larger than 10 MB.") % {"name": item.file.name})
        elif name.endswith(EVIDENCE_IMAGE_EXTENSIONS):
            try:
                image_header_check(item.file, field="evidence")
            except ValidationError as error:
                problems.extend(error.message_dict["evidence"])
    if problems:
        raise ValidationError({"evidence": problems})
    if not any(item.kind == AuditEvidence.Kind.BUSINESS_REGISTRATION for item in evidence):
        raise ValidationError({"evidence": [_("Attach your business registration.")]})


def _check_profile_ready(profile: FactoryProfile) -> None:
    missing = []
    if not profile.description.strip():
        missing.append(_("a description"))
    if not profile.region.strip() or not profile.city.strip():
        missing.append(_("your location"))
    if not profile.categories.exists():
        missing.append(_("the categories you make"))
    if missing:
        raise ValidationError(
            {
                "profile": [
                    _("Complete your profile first: %(items)s.") % {"items": ", ".join(missing)}
                ]
            }
        )


@transaction.atomic
def audit_submit(
    *,
    organization: Organization,
    acting_user: User,
    legal_name: str,
    business_registration_number: str,
    evidence: list[EvidenceInput],
    note: str = "",
) -> AuditSubmission:
    profile = factory_profile_ensure(organization=organization)
    errors = {}
    if not legal_name.strip():
        errors["legal_name"] = [_("This field is required.")]
    if not business_registration_number.strip():
        errors["business_registration_number"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    _check_profile_ready(profile)
    _check_evidence(evidence)
    try:
        with transaction.atomic():
            submission = AuditSubmission.objects.create(
                organization=organization,
                legal_name=legal_name.strip()[:200],
                business_registration_number=business_registration_number.strip()[:60],
                note=note,
                submitted_by=acting_user,
            )
    except IntegrityError as error:
        raise AuditStateError(_("An audit is already waiting for review.")) from error
    for item in evidence:
        AuditEvidence.objects.create(
            organization=organization,
            submission=submission,
            kind=item.kind,
            file=item.file,
            description=item.description[:200],
        )
    FactoryProfile.objects.filter(pk=profile.pk).update(
        audit_status=FactoryProfile.AuditStatus.SUBMITTED
    )
    return submission


def _lock_pending(submission: AuditSubmission) -> AuditSubmission:
    locked = AuditSubmission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != AuditSubmission.Status.PENDING:
        raise AuditStateError(_("This submission was already decided."))
    return locked


@transaction.atomic
def audit_approve(
    *, submission: AuditSubmission, reviewer: User, note: str = ""
) -> AuditSubmission:
    from marketplace.services import notification_send

    locked = _lock_pending(submission)
    locked.status = AuditSubmission.Status.APPROVED
    locked.reviewed_by = reviewer
    locked.reviewed_at = timezone.now()
    locked.decision_reason = note
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "decision_reason"])
    Organization.objects.filter(pk=locked.organization_id).update(verified=True)
    FactoryProfile.objects.filter(organization_id=locked.organization_id).update(
        audit_status=FactoryProfile.AuditStatus.APPROVED
    )
    notification_send(
        organization=locked.organization,
        title=_("Your factory is verified"),
        body=_("The audit was approved. Buyers can now find you in capacity search."),
        url=reverse("factories:audit"),
    )
    return locked


@transaction.atomic
def audit_reject(*, submission: AuditSubmission, reviewer: User, reason: str) -> AuditSubmission:
    from marketplace.services import notification_send

    if not reason.strip():
        raise ValidationError({"decision_reason": [_("Tell the factory why.")]})
    locked = _lock_pending(submission)
    locked.status = AuditSubmission.Status.REJECTED
    locked.reviewed_by = reviewer
    locked.reviewed_at = timezone.now()
    locked.decision_reason = reason.strip()
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "decision_reason"])
    FactoryProfile.objects.filter(organization_id=locked.organization_id).update(
        audit_status=FactoryProfile.AuditStatus.REJECTED
    )
    notification_send(
        organization=locked.organization,
        title=_("Your factory audit was not approved"),
        body=_("Reason: %(reason)s\nFix the points above and submit again.")
        % {"reason": locked.decision_reason},
        url=reverse("factories:audit"),
    )
    return locked


@transaction.atomic
def certifications_flag_expired() -> int:
    """Flag certificates that expired since the last run and tell their factory, once."""
    from marketplace.services import notification_send

    today = timezone.localdate()
    expired = list(
        Certification.objects.select_for_update(of=("self",))
        .filter(expires_on__lt=today, expired_flagged_at__isnull=True)
        .select_related("organization")
    )
    by_organization: dict[int, list[Certification]] = {}
    for certification in expired:
        by_organization.setdefault(certification.organization_id, []).append(certification)
    Certification.objects.filter(pk__in=[item.pk for item in expired]).update(
        expired_flagged_at=timezone.now()
    )
    for certifications in by_organization.values():
        names = ", ".join(f"{item.name} ({item.expires_on.isoformat()})" for item in certifications)
        notification_send(
            organization=certifications[0].organization,
            title=_("A certificate on your profile has expired"),
            body=_("Expired: %(names)s. Upload the renewed certificate.") % {"names": names},
            url=reverse("factories:profile_edit"),
        )
    return len(expired)
