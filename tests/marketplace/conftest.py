import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_before_and_after():
    # A request in Chinese leaves zh-hans active in this thread (LocaleMiddleware activates,
    # nothing deactivates); service calls in the next test would then raise Chinese messages.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
