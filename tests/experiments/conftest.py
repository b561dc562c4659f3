"""Fixtures shared by the experiment tests."""

import pytest

from vgdocs.publish import cache


@pytest.fixture(scope="module")
def memo():
    """A memory-only experiment memo for one test module: pages share runs, and so do their tests."""
    cache.activate(None)
    yield
    cache.deactivate()
