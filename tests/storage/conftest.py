"""The storage tests that run the platform for real (web server, Celery workers) use the
guarantee tests' ``stack`` of processes, and print its logs when they fail."""

from tests.guarantees.conftest import pytest_runtest_makereport, stack  # noqa: F401
