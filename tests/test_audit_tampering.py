"""Edits behind the bot's back: each tampering scenario must make `audit verify` fail.

The story (a decided case, a settled one, one waiting for review) is played once per database;
each scenario runs on a fresh copy of it (SQLite) or a fresh replay (PostgreSQL)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import audit_selfcheck as drill
from mediation import audit, cases, export
from mediation.clock import FixedClock
from mediation.config import Settings
from mediation.db import Store
from tests.kit.engine import START, TEST_AUDIT_KEY

BY_NAME = {sc.name: sc for sc in drill.SCENARIOS}


def _settings(folder: Path, url: str | None = None) -> Settings:
    s = Settings()
    s.database.url = url or f"sqlite:///{folder / 'mediator.db'}"
    s.storage.files_dir = str(folder / "files")
    s.moderators["console"] = ["mod"]
    return s


def _play(folder: Path, url: str | None = None) -> tuple[Store, drill.Story]:
    settings = _settings(folder, url)
    clock = FixedClock(START)
    store = Store.from_url(settings.database.url)
    story = drill.play(drill.build_engine(settings, clock, store), clock, folder / "art")
    return store, story


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """The story on SQLite, once for the module; tests copy the folder."""
    base = tmp_path_factory.mktemp("story")
    with pytest.MonkeyPatch.context() as mp:  # the per-test key fixture does not reach a module fixture
        mp.setenv("MEDIATOR_AUDIT_KEY", TEST_AUDIT_KEY)
        store, story = _play(base)
    store.close()
    return base, story


@pytest.fixture
def copy(played, tmp_path):
    base, story = played
    folder = tmp_path / "db"
    shutil.copytree(base, folder)
    store = Store.from_url(f"sqlite:///{folder / 'mediator.db'}")
    yield store, story, folder
    store.close()


def test_an_untouched_story_verifies_clean(copy):
    store, story, _ = copy
    with store.transaction() as s:
        assert audit.verify(s) == []
        for cid in (story.decided, story.settled, story.pending):
            assert audit.verify(s, cid) == []


@pytest.mark.parametrize("name", [sc.name for sc in drill.SCENARIOS if not sc.limit])
def test_tampering_is_detected_on_sqlite(copy, name):
    store, story, _ = copy
    problems = drill.detected(store, story, BY_NAME[name])
    assert problems, f"{name}: {BY_NAME[name].what} was not detected"


@pytest.mark.parametrize("name", ["case_amount", "file_hash", "tail_cut_quiet", "rechain"])
def test_tampering_is_detected_on_postgres(pg_url, tmp_path, name):
    store, story = _play(tmp_path, pg_url)
    try:
        with store.transaction() as s:
            assert audit.verify(s) == []
        assert drill.detected(store, story, BY_NAME[name])
    finally:
        store.close()


def test_the_export_of_an_edited_amount_does_not_say_intact(copy):
    store, story, _ = copy
    drill.detected(store, story, BY_NAME["case_amount"])
    with store.transaction() as s:
        doc = export.case_document(s, cases.get_case(s, story.decided), Settings())
    assert doc["status"]["amount"] == "5.00"
    assert doc["audit_intact"] is False
    assert "Audit trail: intact" not in export.to_markdown(doc)


def test_verify_cli_fails_on_an_edited_amount(copy):
    store, story, folder = copy
    drill.detected(store, story, BY_NAME["case_amount"])
    out = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "verify", story.decided, "--db", f"sqlite:///{folder / 'mediator.db'}"],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    assert out.returncode == 1, out.stdout + out.stderr


def test_a_change_through_the_bot_without_an_entry_is_recorded_not_flagged(copy, caplog):
    """Code that changes a case and forgets its audit entry gets one written for it (and a warning),
    so the trail stays honest and verify does not cry wolf."""
    store, story, _ = copy
    with store.transaction() as s:
        case = cases.get_case(s, story.pending)
        case.title = "Logo c, renamed"
        s.add(case)
    with store.transaction() as s:
        assert audit.verify(s) == []
        assert audit.entries(s, story.pending)[-1].action == "state.changed"
    assert "changed without an audit entry" in caplog.text


def test_a_chain_recomputed_without_the_key_is_caught_by_the_key(copy):
    """The attacker's recomputation is complete (state digest, links, head): only the key is missing."""
    store, story, _ = copy
    problems = drill.detected(store, story, BY_NAME["rechain"])
    with store.transaction() as s:
        head = audit.head(s, story.decided)
        assert head.state == audit.state_digest(s, story.decided)  # the state digest was forged to match
    assert all("another key" in p for p in problems)
