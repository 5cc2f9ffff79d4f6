"""Shared pytest options: `--update-goldens` rewrites the expected part of golden files.

Golden tests compare output with files under tests/golden/; after a deliberate
change of output, run `pytest --update-goldens` and review the diff in git.
"""

import pytest


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite golden files from the current output instead of comparing")


@pytest.fixture
def update_goldens(request) -> bool:
    """True when the run should rewrite golden files rather than check them."""
    return request.config.getoption("--update-goldens")
