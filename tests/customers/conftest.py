"""Fixtures of the customer-archive tests: uploads in a temporary MEDIA_ROOT, valid IDs and codes."""

import itertools
from datetime import date

import pytest

from rmdesk.customers.validators import make_credit_code, make_resident_id

_seq = itertools.count(100)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are asserted in Chinese (the source language); a request switching to English leaves
    the thread's translation active, so reset it around every test."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


def new_id(born=date(1985, 6, 15)):
    """A fresh valid resident ID number."""
    return make_resident_id("320102", born, f"{next(_seq) % 1000:03d}")


def new_credit_code():
    return make_credit_code(f"1320100MA{next(_seq):07d}")


def new_mobile():
    return f"139{next(_seq):08d}"


@pytest.fixture
def ids():
    class Ids:
        id = staticmethod(new_id)
        credit = staticmethod(new_credit_code)
        mobile = staticmethod(new_mobile)

    return Ids
