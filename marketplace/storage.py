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


def move_files_to_private_storage(model, field_name: str) -> int:
    """For data migrations: files a row's field names that still sit in the public storage
    (uploaded before the field became private) move into private storage, same name."""
    public, private, moved = storages["default"], private_storage(), 0
    for row in model.objects.exclude(**{field_name: ""}).iterator():
        name = getattr(row, field_name).name
        if not public.exists(name) or private.exists(name):
            continue
        with public.open(name, "rb") as source:
            private.save(name, source)
        public.delete(name)
        moved += 1
    return moved
