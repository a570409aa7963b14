"""Hostile use as a whole: generated hostile lines through the console engine (no internal errors,
no tracebacks), and every state-changing command tried by people who may not use it (nothing
succeeds, nothing changes). Both print their counts."""

from __future__ import annotations

import logging
import random

from sqlmodel import SQLModel, select

from bot.messages import Incoming
from mediation import models
from mediation.models import AuditEntry
from tests.kit import SOAP_BRIEF, case_at, expect

# -- fuzz --------------------------------------------------------------------------------------------

HOSTILE = [
    "\x00",
    "a\x00b",
    "\udcff",
    "caf\udce9",
    "\u202egnp.exe",
    "\u2066x\u2069",
    "\x1b[31mred",
    "\x07\x08\x7f",
    "x" * 300,
    "y" * 5000,
    "9" * 29,
    "9" * 40,
    "1" + "0" * 60,
    "0." + "0" * 40 + "1",
    "1e999",
    "-0",
    "-5",
    "NaN",
    "Infinity",
    "0x10",
    "1,2,3",
    "\u0661\u0662\u0663",
    "\u00bd",
    "..",
    "",
    " ",
    "case=",
    "case=" + "C" * 500,
    "case=CZZZZZ",
    "role=client role=freelancer",
    "amount=1 amount=2",
    "file=/nonexistent/x.jpg",
    "file=" + "a" * 300 + ".jpg",
    "file=/",
    "file=" + "b" * 5000,
    "reason=",
    "feedback=evil",
    "currency=XXX",
    "currency=" + "U" * 100,
    "'; DROP TABLE case; --",
    "%s%n{0}",
    "<b>bold</b> &amp;",
    "@everyone",
    "\r\n\u2028line",
    "\U0001f600" * 50,
    "P1",
    "P999999999999999999999",
    "release_full",
    "partial_refund",
    "3000000d",
    "99999999999999d",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
]

TEMPLATES = [
    "/case new {v} amount={v} currency={v} role={v}",
    "/case new T amount={v} currency=USD role=client",
    "/case join {v} role={v}",
    "/case status {v}",
    "/brief {v}",
    "/brief agree {v}",
    "/deliver {v}",
    "/approve {v}",
    "/request {v}",
    "/scope brief={v} request={v}",
    "/assess {v}",
    "/dispute {v}",
    "/proposals {v}",
    "/accept {v} feedback={v}",
    "/reject {v} {v}",
    "/offer {v}",
    "/escalate {v}",
    "/feedback preview {v}",
    "/feedback preview outcome={v} amount={v} score={v}",
    "/quote {v} {v}",
    "/mod queue {v}",
    "/mod take {v}",
    "/mod case {v}",
    "/mod decide {v} {v} {v} reason={v}",
    "/mod decide {case} partial_refund {v} reason=x",
    "/mod note {v} {v}",
    "/mod transfer {v} {v}",
    "/mod release {v}",
    "/appeal {v}",
    "/clock advance {v}",
    "/clock set {v}",
    "/help {v}",
    "{v}",
    "/{v}",
]
USERS = ["maya", "clara", "mod", "eve"]
LINES = 320


def hostile_lines(seed: int, case_id: str) -> list[tuple[str, str]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(LINES):
        template = rnd.choice(TEMPLATES)
        line = template.replace("{case}", case_id)
        while "{v}" in line:
            line = line.replace("{v}", rnd.choice(HOSTILE), 1)
        out.append((rnd.choice(USERS), line))
    return out


def console(engine, user: str, text: str):
    return engine.handle_sync(Incoming(platform="console", chat_id="console", user_id=user, user_name=user, text=text))


async def test_fuzzed_hostile_lines_never_cause_an_internal_error(settings, new_chat, db_url, caplog, capsys):
    chat = new_chat(db_url)  # on SQLite, and on PostgreSQL
    engine = chat.hub.engine
    settings.moderators["console"] = ["mod"]
    created = expect(console(engine, "maya", "/case new Soap amount=88 currency=USD role=freelancer"), "case_created")
    console(engine, "clara", f"/case join {created['invite_code']} role=client")
    console(engine, "clara", f"/brief {SOAP_BRIEF}")
    console(engine, "maya", "/brief agree")
    console(engine, "clara", "/dispute not what I wanted")
    console(engine, "clara", "/escalate stuck")
    console(engine, "mod", f"/mod take {created['case_id']}")
    caplog.clear()
    caplog.set_level(logging.ERROR)
    lines = hostile_lines(1263, created["case_id"])
    internal = []
    for user, line in lines:
        try:
            out = console(engine, user, line)
        except Exception as exc:  # the engine must never raise
            internal.append((line[:80], repr(exc)))
            continue
        if any(r.data.get("code") == "internal" for r in out):
            internal.append((line[:80], "internal"))
    tracebacks = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert console(engine, "maya", "/help")  # the session still answers
    backend = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    with capsys.disabled():
        print(
            f"\nfuzz ({backend}): {len(lines)} hostile lines, {len(internal)} internal errors, "
            f"{len(tracebacks)} logged tracebacks"
        )
    assert internal == []
    assert [r.getMessage() for r in tracebacks] == []


# -- authorization matrix --------------------------------------------------------------------------

SKIP = {"auditentry", "audithead", "seenevent", "identity", "party", "outboxmessage", "timer"}


def snapshot(engine) -> dict:
    """Every row of every table that holds case state, plus the non-refusal audit entries."""
    out = {}
    with engine.store.transaction() as s:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in SKIP:
                continue
            out[table.name] = sorted(repr(tuple(row)) for row in s.connection().execute(select(table)).all())
        out["audit"] = sorted((e.chain, e.seq, e.action) for e in s.exec(select(AuditEntry)) if e.action != "refused")
    return out


async def _matrix_world(chat):
    engine = chat.hub.engine
    engine.settings.moderators["memory"] = ["mod", "mod2", "modpat"]
    # D: a dispute between clara (client) and maya (freelancer), in "chat"
    d = await case_at(chat, "disputed", title="Soap", note="the first two", dispute="not what I wanted")
    label = d.proposals[0]["id"]
    await chat.say("clara", f"/accept {label}")
    # E: escalated and taken by "mod"; its client "modpat" is a moderator too
    e = await case_at(chat, "joined", title="Logo", amount="50", freelancer="fred", client="modpat", chat="e")
    await chat.say("fred", "/escalate stuck", chat="e")
    await chat.say("mod", f"/mod take {e['case_id']}", chat="mods")
    # F: decided, inside the appeal window
    f = await case_at(chat, "joined", title="Copy", amount="40", freelancer="ann", client="ben", chat="f")
    await chat.say("ann", "/escalate stuck", chat="f")
    await chat.say("mod", f"/mod take {f['case_id']}", chat="mods")
    await chat.say("mod", f"/mod decide {f['case_id']} release_full reason=brief met", chat="mods")
    return d["case_id"], label, e["case_id"], f["case_id"]


async def test_authorization_matrix_nothing_succeeds_nothing_changes(chat, capsys):
    D, label, E, F = await _matrix_world(chat)
    party = [
        f"/brief 3 photos case={D}",
        f"/brief agree case={D}",
        f"/deliver more work case={D}",
        f"/approve the samples case={D}",
        f"/request add a model case={D}",
        f"/dispute again case={D}",
        f"/quote {label} 50 case={D}",
        f"/accept {label} case={D}",
        f"/reject {label} no case={D}",
        f"/offer 10 case={D}",
        f"/escalate help case={D}",
        f"/appeal unfair case={F}",
        "/case new Hijack amount=5 currency=USD role=client",  # in D's chat
    ]
    mod = [
        f"/mod take {E}",
        f"/mod decide {E} full_refund reason=mine",
        f"/mod release {E}",
        f"/mod transfer {E} mod2",
        f"/mod note {E} a note",
    ]
    tries: list[tuple[str, str, str, str, bool]] = []  # (role, user, chat, line, private)
    for line in party:
        tries.append(("stranger", "eve", "chat", line, line.startswith("/offer")))
    for line in mod:
        tries.append(("stranger", "eve", "x", line, False))
    for line in (f"/deliver more work case={D}", f"/quote {label} 50 case={D}"):
        tries.append(("other party", "clara", "chat", line, False))
    for line in (f"/approve the samples case={D}", f"/request add a model case={D}"):
        tries.append(("other party", "maya", "chat", line, False))
    for line in party[:-2]:  # a moderator who is no party acting as one
        tries.append(("moderator as party", "mod2", "chat", line, line.startswith("/offer")))
    for line in mod:  # a moderator who is a party of the case moderating it
        tries.append(("moderator as party", "modpat", "e", line, False))
    for line in mod:  # parties without moderator rights
        tries.append(("party as moderator", "fred", "e", line, False))
        tries.append(("party as moderator", "clara", "chat", line.replace(E, D), False))
    succeeded, changed = [], []
    for role, user, where, line, private in tries:
        before = snapshot(chat.hub.engine)
        out = await chat.say(user, line, chat=where, private=private)
        if not out or any(r.data.get("type") != "error" for r in out):
            succeeded.append((role, user, line, [r.data.get("type") for r in out]))
        if snapshot(chat.hub.engine) != before:
            changed.append((role, user, line))
    failed = len(tries) - len(succeeded)
    with capsys.disabled():
        by_role: dict[str, int] = {}
        for t in tries:
            by_role[t[0]] = by_role.get(t[0], 0) + 1
        print(
            f"\nauthorization matrix: {len(tries)} tried ({', '.join(f'{k} {v}' for k, v in by_role.items())}), "
            f"{failed} refused, {len(succeeded)} succeeded, {len(changed)} changed state"
        )
    assert succeeded == [] and changed == []


def test_the_matrix_snapshot_covers_the_case_tables():
    names = {t.name for t in SQLModel.metadata.sorted_tables} - SKIP
    assert {"case", "chatbinding", "approval", "offer", "escalation", "decision", "moderatornote"} <= names
    assert models.Case.__tablename__ == "case"
