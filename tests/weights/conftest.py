"""The built-in VisionReward checklists, parsed once per test module."""

import pytest

from annotator.checklist.builtin import load_builtin


@pytest.fixture(scope="module")
def image():
    return load_builtin("visionreward-image")


@pytest.fixture(scope="module")
def video():
    return load_builtin("visionreward-video")
