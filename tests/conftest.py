"""Fixtures for every test module (from tests/kit, registered here) and markers set by what a test uses."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.kit")  # the kit's own checks explain themselves when they fail
pytest_plugins = ["tests.kit.network", "tests.kit.engine", "tests.kit.telegram", "tests.kit.discord"]


def uses_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return "pg_url" in item.fixturenames or (callspec is not None and callspec.params.get("db_url") == "postgres")


def pytest_collection_modifyitems(config, items):
    """`postgres` for the tests that run on PostgreSQL (pg_url, or the postgres case of db_url);
    `model` for the tests given the real model through a fixture (an engine, or the classifier)."""
    from tests.kit.engine import MODEL_FIXTURES

    for item in items:
        if uses_postgres(item):
            item.add_marker(pytest.mark.postgres)
        if MODEL_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.model)


@pytest.fixture(autouse=True)
def model_only_when_marked(request, monkeypatch):
    """The shared model is there for a test marked `model`; a test without the marker that reaches it
    fails, so the marker stays true."""
    from tests.kit.engine import SCOPE

    reached: list[str] = []
    if request.node.get_closest_marker("model") is not None:
        SCOPE.classifier()  # loaded before the test (once a run): an adapter's timeouts never pay for it
    else:

        def refuse():
            reached.append(request.node.nodeid)
            raise AssertionError(f"{request.node.nodeid} uses the real model: mark it `model`")

        monkeypatch.setattr(SCOPE, "classifier", refuse)
    yield
    assert not reached, f"{reached[0]} uses the real model: mark it `model`"  # even if the engine caught it
