"""Files uploaded before a field became private are moved out of MEDIA_ROOT by the data
migration's helper, keeping their names so the rows still point at them."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import Organization
from marketplace.storage import move_files_to_private_storage, private_storage
from orders import services
from orders.models import RFQAttachment
from tests.helpers import make_organization
from tests.orders.conftest import in_days

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_legacy_public_files_move_to_private_storage(category):
    buyer, user = make_organization(Organization.Kind.BUYER)
    rfq = services.rfq_create(
        buyer=buyer,
        acting_user=user,
        category=category,
        title="Legacy drawing",
        quantity=100,
        ready_by=in_days(20),
        attachments=[SimpleUploadedFile("drawing.png", PNG)],
    )
    name = rfq.attachments.get().file.name
    public, private = storages["default"], private_storage()
    # Put the file where an upload before the migration would have left it.
    private.delete(name)
    public.save(name, ContentFile(PNG))

    assert move_files_to_private_storage(RFQAttachment, "file") == 1
    assert not public.exists(name)
    with private.open(name, "rb") as moved:
        assert moved.read() == PNG
    assert move_files_to_private_storage(RFQAttachment, "file") == 0  # safe to run twice
