"""Fixtures shared by the experiment tests."""

import pytest

from tests.conftest import WARM, experiment_memo
from vgdocs.publish import cache


@pytest.fixture(scope="module", autouse=WARM)
def memo():
    """An experiment memo for one test module: pages share runs, and so do their tests.

    Memory only; in the author's loop (VGDOCS_TEST_WARM=1) every module of this folder also reads the
    build's experiment cache, so a test of a default run takes the Result the last build computed.
    """
    owned = not cache.is_active()
    if owned:
        experiment_memo()
    yield
    if owned:
        cache.deactivate()
