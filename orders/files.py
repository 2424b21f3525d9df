"""Checks for uploaded drawings, photos and evidence: type by extension *and* content, size."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from marketplace.images import image_header_check

# extension -> (content type, leading bytes the file must start with, or None for text/CAD)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".webp": ("image/webp", (b"RIFF",)),
    ".dxf": ("image/vnd.dxf", None),
    ".dwg": ("image/vnd.dwg", (b"AC10",)),
    ".step": ("model/step", (b"ISO-10303-21",)),
    ".stp": ("model/step", (b"ISO-10303-21",)),
    ".zip": ("application/zip", (b"PK\x03\x04",)),
}
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


def validate_upload(
    upload: UploadedFile, *, field: str, extensions: tuple[str, ...] | None = None
) -> str:
    """Returns the content type; raises a field ValidationError naming what is wrong."""
    name = upload.name or ""
    extension = PurePath(name).suffix.lower()
    allowed = extensions or tuple(ALLOWED_TYPES)
    if extension not in allowed:
        raise ValidationError(
            {
                field: [
                    _("%(name)s: this file type is not accepted (use %(types)s).")
                    % {"name": name, "types": ", ".join(allowed)}
                ]
            }
        )
    limit = settings.ORDERS_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {
                field: [
                    _("%(name)s is larger than %(limit)d MB.")
                    % {"name": name, "limit": limit // (1024 * 1024)}
                ]
            }
        )
    if upload.size == 0:
        raise ValidationError({field: [_("%(name)s is empty.") % {"name": name}]})
    content_type, signatures = ALLOWED_TYPES[extension]
    if signatures is not None:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(signature) for signature in signatures):
            raise ValidationError(
                {
                    field: [
                        _("%(name)s is not a valid %(ext)s file.")
                        % {"name": name, "ext": extension}
                    ]
                }
            )
    if extension in IMAGE_EXTENSIONS:
        # Sized from the header: a decompression bomb is refused before anything (our server
        # or the other party's browser) decodes it. Drawings are stored as they come, so a
        # header Pillow cannot read is left to the signature check above.
        image_header_check(upload, field=field, unreadable_ok=True)
    return content_type
