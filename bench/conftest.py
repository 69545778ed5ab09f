"""The browser benchmark reuses the end-to-end fixtures (live server, Chromium, sample media)."""

from tests.conftest import _media_root  # noqa: F401
from tests.e2e.fixtures import add_asset, browser, context, page, processed_samples  # noqa: F401


def pytest_addoption(parser):
    parser.addoption(
        "--smoke", action="store_true", help="bench/annotate_keys.py: 2 tasks per row (does it still run), not 6"
    )
