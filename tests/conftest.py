"""Fixtures for every test module: they live in tests/kit and are registered here."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.kit")  # the kit's own checks explain themselves when they fail
pytest_plugins = ["tests.kit.network", "tests.kit.engine", "tests.kit.telegram", "tests.kit.discord"]
