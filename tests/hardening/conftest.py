import pytest

from tests.orders.conftest import make_category


@pytest.fixture
def category():
    return make_category()
