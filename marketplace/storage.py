"""Private files: stored outside MEDIA_ROOT, downloaded only through access-checked views."""

from __future__ import annotations

from pathlib import Path

from django.core.files.storage import Storage, storages
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def private_storage() -> Storage:
    # A callable, so migrations record the reference, not the settings of one machine.
    return storages["private"]


def private_file_response(
    file: FieldFile, *, download_name: str | None = None, inline: bool = False
) -> FileResponse:
    """Stream a private file the caller was already checked for; a missing file is a 404.
    `inline` shows it in the browser (images, PDFs whose type the upload check verified)."""
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=download_name or Path(file.name or "download").name,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
