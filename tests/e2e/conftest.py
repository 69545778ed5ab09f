import pytest

# The browser fixtures (browser, context, page, processed_samples, add_asset) are registered once
# for the whole suite in tests/conftest.py: one Chromium per session, shared with tests/security.


@pytest.fixture
def eager_jobs(settings):
    """Jobs run inside the request that starts them (the live server has no Celery worker)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
