"""The operator's audit: a factory submits evidence; an operator approves or rejects it.

Approval sets `Organization.verified` for a factory (through marketplace), and only a
verified factory is matched to RFQs or shown in capacity search.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from factories import texts
from factories.models import AuditEvidence, AuditSubmission, Certification, FactoryProfile
from factories.services.profile import factory_profile_ensure
from marketplace.exceptions import ConflictError, InvalidError
from marketplace.images import image_header_check
from marketplace.models import Organization, User
from marketplace.services import notification_send, organization_verification_set

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".webp")
EVIDENCE_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


class AuditStateError(ConflictError):
    """The submission is not in a state that allows this step."""


@dataclass(frozen=True)
class EvidenceInput:
    kind: str
    file: UploadedFile
    description: str = ""


def audit_evidence_list(
    *,
    business_registration: UploadedFile | None,
    certificates: Iterable[UploadedFile] = (),
    photos: Iterable[UploadedFile] = (),
) -> list[EvidenceInput]:
    """The evidence of one submission from its uploads (the page's form and the API's
    fields are the same three)."""
    evidence = []
    if business_registration is not None:
        evidence.append(
            EvidenceInput(kind=AuditEvidence.Kind.BUSINESS_REGISTRATION, file=business_registration)
        )
    evidence += [EvidenceInput(kind=AuditEvidence.Kind.CERTIFICATE, file=f) for f in certificates]
    evidence += [EvidenceInput(kind=AuditEvidence.Kind.PHOTO, file=f) for f in photos]
    return evidence


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
        raise InvalidError({"evidence": problems})
    if not any(item.kind == AuditEvidence.Kind.BUSINESS_REGISTRATION for item in evidence):
        raise InvalidError({"evidence": [_("Attach your business registration.")]})


def _check_profile_ready(profile: FactoryProfile) -> None:
    missing = []
    if not profile.description.strip():
        missing.append(_("a description"))
    if not profile.region.strip() or not profile.city.strip():
        missing.append(_("your location"))
    if not profile.categories.exists():
        missing.append(_("the categories you make"))
    if missing:
        raise InvalidError(
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
        raise InvalidError(errors)
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
    locked = _lock_pending(submission)
    locked.status = AuditSubmission.Status.APPROVED
    locked.reviewed_by = reviewer
    locked.reviewed_at = timezone.now()
    locked.decision_reason = note
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "decision_reason"])
    organization_verification_set(
        organization=locked.organization,
        verified=True,
        acting_user=reviewer,
        reason=_("Audit %(pk)d approved.") % {"pk": locked.pk},
    )
    FactoryProfile.objects.filter(organization_id=locked.organization_id).update(
        audit_status=FactoryProfile.AuditStatus.APPROVED
    )
    notification_send(
        organization=locked.organization,
        title=texts.AUDIT_APPROVED(),
        body=texts.AUDIT_APPROVED_BODY(),
        url=reverse("factories:audit"),
    )
    return locked


@transaction.atomic
def audit_reject(*, submission: AuditSubmission, reviewer: User, reason: str) -> AuditSubmission:
    if not reason.strip():
        raise InvalidError({"decision_reason": [_("Tell the factory why.")]})
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
        title=texts.AUDIT_REJECTED(),
        body=texts.AUDIT_REJECTED_BODY(reason=locked.decision_reason),
        url=reverse("factories:audit"),
    )
    return locked


@transaction.atomic
def certifications_flag_expired() -> int:
    """Flag certificates that expired since the last run and tell their factory, once."""
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
            title=texts.CERTIFICATE_EXPIRED(),
            body=texts.CERTIFICATE_EXPIRED_BODY(names=names),
            url=reverse("factories:profile_edit"),
        )
    return len(expired)
