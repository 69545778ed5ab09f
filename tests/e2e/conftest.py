import pytest

from tests.e2e.fixtures import add_asset, browser, context, page, processed_samples  # noqa: F401


@pytest.fixture
def eager_jobs(settings):
    """Jobs run inside the request that starts them (the live server has no Celery worker)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
