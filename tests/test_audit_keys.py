"""The audit key (environment, generated file), chains from before keys, and the seal the parties get."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys

import pytest
from sqlalchemy import text

from mediation import audit, auditkey
from mediation.db import Store, make_engine, upgrade
from tests.kit import case_at, filemakers
from tests.kit.engine import START


async def disputed_case(chat, tmp_path):
    """The soap case, delivered with 8 real pictures and disputed by the client: (the case, the proposals)."""
    case = await case_at(chat, "disputed", note="all 8", files=filemakers.photos(tmp_path / "pics", 8))
    return case, case.proposals


def test_a_missing_key_file_is_generated_once_with_0600_and_never_logged(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(auditkey.ENV_AUDIT_KEY)
    url = f"sqlite:///{tmp_path}/mediator.db"
    with caplog.at_level(logging.DEBUG):
        first = Store.from_url(url)
    path = tmp_path / "mediator.db.audit-key"
    assert first.audit_key.source == str(path) and first.audit_key.generated
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = first.audit_key.secret
    assert secret.hex() not in caplog.text and secret.hex() not in repr(first.audit_key)
    first.close()
    again = Store.from_url(url)
    assert again.audit_key.secret == secret and not again.audit_key.generated
    again.close()


def test_a_configured_key_file_and_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(auditkey.ENV_AUDIT_KEY)
    key_file = tmp_path / "keys" / "audit.key"
    store = Store.from_url(f"sqlite:///{tmp_path}/m.db", audit_key_file=str(key_file))
    assert key_file.is_file() and store.audit_key.source == str(key_file)
    store.close()
    monkeypatch.setenv(auditkey.ENV_AUDIT_KEY, "short")
    with pytest.raises(auditkey.AuditKeyError):
        auditkey.load(f"sqlite:///{tmp_path}/m.db")
    assert auditkey.default_path("postgresql+psycopg://u@h/db").as_posix() == "var/audit.key"
    assert auditkey.default_path("sqlite:///:memory:") is None


async def test_a_lost_key_is_not_silently_replaced(settings, new_chat, tmp_path, monkeypatch):
    monkeypatch.delenv(auditkey.ENV_AUDIT_KEY)
    chat = new_chat()
    await chat.say("maya", "/case new Soap photos amount=88 currency=USD role=freelancer")
    chat.hub.engine.store.close()
    (tmp_path / "mediator.db.audit-key").unlink()
    with pytest.raises(auditkey.AuditKeyError, match="audit key is missing"):
        Store.from_url(settings.database.url)
    assert not (tmp_path / "mediator.db.audit-key").exists()  # no stray key that fits nothing


async def test_a_chain_from_before_keys_is_sealed_once_and_stays_verifiable(tmp_path):
    """A database at the first schema, with a plain SHA-256 chain, upgraded in place."""
    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    upgrade(engine, "0001")
    at = "2026-03-02 09:00:00.000000"
    prev = audit.GENESIS
    with engine.begin() as c:
        c.execute(text("INSERT INTO party (id, display_name, created_at) VALUES (1, 'Maya', :at)"), {"at": at})
        c.execute(
            text(
                'INSERT INTO "case" (id, title, amount, currency, status, created_at, created_by, invite_code, '
                "invite_role) VALUES ('COLD1', 'Old', '88.00', 'USD', 'open', :at, 1, 'AAAAA-BBBBB', 'client')"
            ),
            {"at": at},
        )
        for seq, action in ((1, "case.created"), (2, "brief.proposed")):
            h = audit._legacy_hash("COLD1", seq, START, "console:maya", action, {}, prev)
            c.execute(
                text(
                    "INSERT INTO auditentry (chain, seq, at, actor, action, detail, prev_hash, hash) "
                    "VALUES ('COLD1', :s, :at, 'console:maya', :a, '{}', :p, :h)"
                ),
                {"s": seq, "at": at, "a": action, "p": prev, "h": h},
            )
            prev = h
        c.execute(text("INSERT INTO audithead (chain, seq, hash) VALUES ('COLD1', 2, :h)"), {"h": prev})
    engine.dispose()

    store = Store.from_url(url)  # upgrades to keyed chains and seals the old one
    with store.transaction() as s:
        problems, reports = audit.check(s)
        assert problems == [] and [(r.chain, r.entries, r.legacy) for r in reports] == [("COLD1", 2, 2)]
        head = audit.head(s, "COLD1")
        assert head.legacy_until == 2 and head.mac
        audit.record(s, "COLD1", "console:maya", "case.noted", {}, START)
    with store.transaction() as s:
        problems, reports = audit.check(s)
        assert problems == [] and [(r.entries, r.legacy) for r in reports] == [(3, 2)]
    # a legacy entry is still tamper-evident: its hash is pinned by the keyed entry after it
    with store.engine.begin() as c:
        c.execute(text("UPDATE auditentry SET actor = 'console:clara' WHERE chain = 'COLD1' AND seq = 1"))
    with store.transaction() as s:
        assert audit.verify(s)
    store.close()
    # a second start does not seal again (a head stripped of its seal later stays a problem)
    with Store.from_url(url).engine.begin() as c:
        c.execute(text("UPDATE auditentry SET actor = 'console:maya' WHERE chain = 'COLD1' AND seq = 1"))
        c.execute(text("UPDATE audithead SET mac = NULL WHERE chain = 'COLD1'"))
    again = Store.from_url(url)
    with again.transaction() as s:
        assert [p.problem for p in audit.verify(s)] == ["the head of the log was changed (or sealed with another key)"]
    again.close()


async def test_settled_and_decided_notices_carry_the_seal(chat, tmp_path):
    created, items = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("clara", f"/accept {items[0]['id']}")
    replies = await chat.say("maya", f"/accept {items[0]['id']}")
    settled = replies.expect("case_status")
    with chat.hub.engine.store.transaction() as s:
        head = audit.head(s, cid)
        assert audit.verify(s, cid) == []
    assert settled["audit_seal"] == {"seq": head.seq, "hash": head.hash[:12]}
    text_ = next(r.text for r in replies if r.data.get("type") == "case_status")
    assert f"Audit seal: entry {head.seq}, {head.hash[:12]}" in text_


async def test_a_decision_notice_carries_the_seal(chat, tmp_path):
    created, _ = await disputed_case(chat, tmp_path)
    cid = created["case_id"]
    await chat.say("maya", "/escalate we cannot agree")
    await chat.say("mod", f"/mod take {cid}")
    decision = (await chat.say("mod", f"/mod decide {cid} release_full reason=8 of 8 delivered")).expect("decision")
    with chat.hub.engine.store.transaction() as s:
        head = audit.head(s, cid)
    assert decision["audit_seal"]["seq"] == head.seq and decision["audit_seal"]["hash"] == head.hash[:12]


def test_selfcheck_cli_reports_every_scenario_detected(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "selfcheck"], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "24 tried, 24 detected" in out.stdout and "whole_case" in out.stdout
