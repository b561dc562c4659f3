"""Fixtures shared by the recurrent-network tests: the module-scoped experiment memo of tests/conftest.py."""

import pytest

from tests.conftest import WARM, module_memo

memo = pytest.fixture(scope="module", autouse=WARM)(module_memo)
