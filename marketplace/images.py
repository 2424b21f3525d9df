"""Every uploaded image is sized from its header before anything decodes it.

A PNG of 13000 x 13000 pixels compresses to well under a megabyte and decodes to 640 MB:
checking the pixel count after `load()` (or leaving it to Pillow's own bomb guard, which
only fires above twice `Image.MAX_IMAGE_PIXELS`) costs the server that memory. Pillow's
`Image.open` reads the header alone, so the declared dimensions are known for free.
"""

from __future__ import annotations

import warnings

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

IMAGE_MAX_PIXELS = 40_000_000
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")


def image_header_check(
    upload: UploadedFile,
    *,
    field: str,
    max_pixels: int = IMAGE_MAX_PIXELS,
    unreadable_ok: bool = False,
) -> tuple[str, int, int]:
    """(format, width, height) from the header; a field ValidationError if larger than
    `max_pixels` or (unless `unreadable_ok`, for files the server only stores and never
    renders, returning ("", 0, 0)) unreadable. Decodes no pixel data; rewinds the file."""
    name = upload.name or ""
    try:
        upload.seek(0)
        # Pillow warns between one and two times its own limit; the limit here is ours.
        with (
            warnings.catch_warnings(action="ignore", category=Image.DecompressionBombWarning),
            Image.open(upload, formats=IMAGE_FORMATS) as image,
        ):
            image_format, (width, height) = image.format or "", image.size
    except Image.DecompressionBombError as error:
        raise _too_many_pixels(field, name, max_pixels) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if unreadable_ok:
            return "", 0, 0
        raise ValidationError(
            {field: [_("%(name)s is not a readable image.") % {"name": name}]}
        ) from error
    finally:
        upload.seek(0)
    if width * height > max_pixels:
        raise _too_many_pixels(field, name, max_pixels)
    return image_format, width, height


def _too_many_pixels(field: str, name: str, max_pixels: int) -> ValidationError:
    return ValidationError(
        {
            field: [
                _("%(name)s has too many pixels (at most %(megapixels)d million).")
                % {"name": name, "megapixels": max_pixels // 1_000_000}
            ]
        }
    )
