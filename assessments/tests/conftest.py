from __future__ import annotations

import pytest

from portfolio.tests.factories import framework_with_tree


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded files go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def framework_tree(program):
    """The learner's program uses a framework of 2 domains × 3 sub-competencies."""
    framework, leaves = framework_with_tree()
    program.frameworks.add(framework)
    return framework, leaves


@pytest.fixture
def framework(framework_tree):
    return framework_tree[0]


@pytest.fixture
def leaves(framework_tree):
    return framework_tree[1]
