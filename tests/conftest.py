"""Shared fixtures. The suite runs on the PostgreSQL and Redis given by DATABASE_URL / REDIS_URL
(`make test` points them at 127.0.0.1); pytest-django creates and drops the test database."""

import shutil
import sys
from pathlib import Path

import pytest

# Chromium (Playwright) and processed samples for the browser tests in tests/e2e and tests/security:
# registered here, once, because a second session-scoped Playwright in the same run cannot start.
from tests.e2e.fixtures import add_asset, browser, context, page, processed_samples  # noqa: F401

# A real S3-compatible server process (moto) and a test's own bucket on VR_STORAGE=s3.
from tests.s3 import s3_server, s3_storage  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "annotator" / "demo" / "samples"


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Every test writes media into its own folder, removed afterwards."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    yield media
    shutil.rmtree(media, ignore_errors=True)


@pytest.fixture(autouse=True)
def _datasets_root(tmp_path, settings):
    """Every test publishes dataset versions into its own folder."""
    root = tmp_path / "datasets"
    settings.VR_DATASETS_ROOT = root
    yield root


@pytest.fixture
def eager(settings):
    """Celery runs tasks in-process (settings are read live by the Celery app)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True


@pytest.fixture(autouse=True)
def _own_datasets_cache(tmp_path, monkeypatch):
    """Every test's ``datasets.load_dataset`` caches in a folder of its own: that cache finds a
    local folder's earlier load by its files (same names, sizes and times), not by where they are,
    so two tests exporting the same dataset name (``mpo/v1``) in the same second would read one
    another's rows. Set before ``datasets`` is imported, or on its loaded config."""
    cache = str(tmp_path / "hf-datasets-cache")
    monkeypatch.setenv("HF_DATASETS_CACHE", cache)
    loaded = sys.modules.get("datasets.config")
    if loaded is not None:
        monkeypatch.setattr(loaded, "HF_DATASETS_CACHE", cache)


@pytest.fixture(scope="session")
def demo_models_root(tmp_path_factory) -> Path:
    """Where ``load_demo`` builds its tiny model in the tests: once per session (as once per
    ``var/`` in ``make run``); use it with ``settings.VR_MODELS_ROOT = demo_models_root``."""
    return tmp_path_factory.mktemp("demo-models")


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; the production hasher's deliberate slowness buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Every test counts throttles in a cache namespace of its own (the suite's cache may be Redis)."""
    import uuid

    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"} for name, config in settings.CACHES.items()
    }
