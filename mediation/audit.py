"""The append-only audit trail: a keyed hash chain per case that also covers the case's records.

Every entry is sealed with HMAC-SHA256 under the audit key (see `auditkey`) over its content, the
hash of the entry before it, and a digest of the case's state rows as they stand at the end of the
transaction that wrote it. The head row of each chain (its newest entry) carries its own HMAC, and
`verify` recomputes the digest of the current tables and compares it with the head's: an edit,
insertion or deletion of any case row outside the bot, an edited or removed entry, a head moved
back, or a chain recomputed without the key shows.

Entries are sealed at the end of a transaction (`seal`, called by `Store.transaction` and by the
engine just before it answers), so the state they commit to includes everything the command did,
deadlines too. Entries of one transaction share the state digest.

Chains written before the key existed keep their plain SHA-256 hashes ("legacy"); the first start
on the new schema seals each of them once under the key (`seal_legacy`), with the state as it was,
and everything after is keyed. The head records where the legacy part ends, under the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, bindparam, event
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from .clock import as_utc, utcnow
from .models import (
    Agreement,
    Approval,
    AuditEntry,
    AuditHead,
    BriefVersion,
    Case,
    CaseMember,
    ChangeRequest,
    Decision,
    Delivery,
    DeliveryFile,
    Escalation,
    ModeratorNote,
    Offer,
    Proposal,
    ProposalVote,
    Timer,
)
from .unit import changes_of

log = logging.getLogger("mediator.audit")

GENESIS = "0" * 64
NO_CASE = "-"
SCHEME = "mediator-audit-v2"
KEY_INFO = "audit_key"  # Session.info slot where the Store puts the key
PENDING = "audit_pending"  # Session.info slot: entries written in this transaction, not sealed yet
PREV = "audit_prev"  # Session.info slot: per chain, the hash the first new entry links to
TOUCHED = "audit_state_touched"  # Session.info slot: cases whose state rows this transaction changed
SHORT = 12  # hex digits of a head's hash shown to the parties

# The case's state: every row that belongs to the case and decides what happens to it or what it
# proves. Rows reached through a parent (files of a delivery, votes on a proposal) follow it.
# Left out, on purpose: parties and identities (shared by all of a person's cases; display names
# change without a case event), chat bindings (which case a chat talks about, a routing choice),
# the outbox and seen events (delivery plumbing), and the audit tables themselves (the chain).
STATE_TABLES: list[tuple[Any, str]] = [
    (Case, "id"),
    (CaseMember, "case_id"),
    (BriefVersion, "case_id"),
    (Delivery, "case_id"),
    (DeliveryFile, "delivery"),
    (Approval, "case_id"),
    (ChangeRequest, "case_id"),
    (Proposal, "case_id"),
    (ProposalVote, "proposal"),
    (Offer, "case_id"),
    (Agreement, "case_id"),
    (Escalation, "case_id"),
    (Decision, "case_id"),
    (ModeratorNote, "case_id"),
    (Timer, "case_id"),  # deadlines act on their own (release a payment): moving one is tampering
]


def _canon(value: Any) -> Any:
    """One spelling per value, whichever database or driver it came through."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat(timespec="microseconds")
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, sort_keys=True, default=str))
    return str(value)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def _as_datetime(v: Any) -> Any:
    if isinstance(v, str):  # SQLite keeps datetimes as text
        v = datetime.fromisoformat(v)
    return _canon(v)


def _as_json(v: Any) -> Any:
    """JSON as text: the stored text where the driver gives text (SQLite; both the seal and verify
    read it back from the same database), else the value with sorted keys. Parsing proposal
    payloads back and forth was most of the digest's cost."""
    if isinstance(v, bytes):
        v = v.decode("utf-8")
    if isinstance(v, str) or v is None:
        return v
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _as_bool(v: Any) -> Any:
    return None if v is None else bool(v)


def _converter(column) -> Any:
    if isinstance(column.type, DateTime):
        return _as_datetime
    if isinstance(column.type, JSON):
        return _as_json
    if isinstance(column.type, Boolean):
        return _as_bool
    return _canon


@dataclass
class _Query:
    table: str
    columns: list[str]
    converters: list[Any]
    sql: str
    positional: bool


_QUERIES: dict[str, list[_Query]] = {}  # per dialect, compiled once


def _table(model: type) -> Any:
    """The SQLAlchemy table behind a table model (SQLModel does not type it)."""
    return model.__table__  # type: ignore[attr-defined]


def _queries(dialect) -> list[_Query]:
    """The state queries compiled once for the dialect: the digest runs on every command, so it
    goes straight to the driver (one small indexed query per table, no ORM)."""
    cached = _QUERIES.get(dialect.name)
    if cached is not None:
        return cached
    cid: Any = bindparam("cid")
    out = []
    for model, link in STATE_TABLES:
        t = _table(model)
        if link == "id":
            where = t.c.id == cid
        elif link == "delivery":
            where = t.c.delivery_id.in_(sa_select(_table(Delivery).c.id).where(_table(Delivery).c.case_id == cid))
        elif link == "proposal":
            where = t.c.proposal_id.in_(sa_select(_table(Proposal).c.id).where(_table(Proposal).c.case_id == cid))
        else:
            where = t.c.case_id == cid
        cols = sorted(t.c, key=lambda c: c.name)
        compiled = sa_select(*cols).where(where).order_by(*t.primary_key.columns).compile(dialect=dialect)
        out.append(
            _Query(t.name, [c.name for c in cols], [_converter(c) for c in cols], str(compiled), dialect.positional)
        )
    _QUERIES[dialect.name] = out
    return out


def state_rows(s: Session, case_id: str) -> list:
    """The case's state rows in canonical form: per table, rows by primary key, columns by name."""
    s.flush()
    conn = s.connection()
    cursor = conn.connection.cursor()
    try:
        out = []
        for q in _queries(conn.dialect):
            cursor.execute(q.sql, (case_id,) if q.positional else {"cid": case_id})
            rows = [[f(v) for f, v in zip(q.converters, row, strict=True)] for row in cursor.fetchall()]
            out.append([q.table, q.columns, rows])
        return out
    finally:
        cursor.close()


def state_digest(s: Session, case_id: str) -> str:
    """SHA-256 of the case's canonical state rows (not secret: the entry that holds it is keyed)."""
    return hashlib.sha256(_dumps([SCHEME, case_id, state_rows(s, case_id)])).hexdigest()


def _legacy_hash(chain: str, seq: int, at: datetime, actor: str, action: str, detail: dict, prev: str) -> str:
    """How entries were hashed before the key: plain SHA-256, recomputable by anyone."""
    body = json.dumps(
        [chain, seq, as_utc(at).isoformat(timespec="microseconds"), actor, action, detail, prev],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def entry_hash(key: bytes, e: AuditEntry) -> str:
    body = [SCHEME, "entry", e.chain, e.seq, _canon(e.at), e.actor, e.action, _canon(e.detail), e.prev_hash, e.state]
    return hmac.new(key, _dumps(body), hashlib.sha256).hexdigest()


def head_mac(key: bytes, h: AuditHead) -> str:
    body = [SCHEME, "head", h.chain, h.seq, h.hash, h.state, h.legacy_until]
    return hmac.new(key, _dumps(body), hashlib.sha256).hexdigest()


_STATE_MODELS = tuple(model for model, _ in STATE_TABLES)


@event.listens_for(Session, "before_flush")
def _note_state_changes(session: Session, _flush_context, _instances) -> None:
    """Which cases' state rows this transaction changes, so `seal` can tell if one has no entry."""
    touched = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _STATE_MODELS):
            case_id = obj.id if isinstance(obj, Case) else getattr(obj, "case_id", None)
            if case_id and (obj in session.new or obj in session.deleted or session.is_modified(obj)):
                if touched is None:
                    touched = session.info.setdefault(TOUCHED, set())
                touched.add(case_id)


def _key(session: Session) -> bytes:
    key = session.info.get(KEY_INFO)
    if not key:
        raise RuntimeError("no audit key on this session: open it through Store.transaction()")
    return key


def record(session: Session, case_id: str | None, actor: str, action: str, detail: dict, at: datetime) -> AuditEntry:
    """Append an entry; it is sealed (state digest, hash, head) when the transaction ends."""
    chain = case_id or NO_CASE
    last = session.exec(
        select(AuditEntry).where(AuditEntry.chain == chain).order_by(col(AuditEntry.seq).desc()).limit(1)
    ).first()
    entry = AuditEntry(
        chain=chain,
        seq=last.seq + 1 if last else 1,
        at=at,
        actor=actor,
        action=action,
        detail=json.loads(json.dumps(detail, default=str)),
        prev_hash="",  # filled in by seal()
        hash="",
    )
    session.add(entry)
    if last is not None and last.hash:  # the newest sealed entry: the one the first new entry links to
        session.info.setdefault(PREV, {}).setdefault(chain, last.hash)
    session.info.setdefault(PENDING, []).append(entry)
    changes = changes_of(session)
    if changes is not None and case_id:
        changes.touch(chain)  # deadlines follow state changes
    return entry


def seal(session: Session) -> dict[str, AuditHead]:
    """Seal the entries written in this transaction: each chain's new entries get the digest of the
    case's state as it stands now, their keyed hashes in order, and the head its keyed mark.
    Returns the new head of each chain sealed. Call it after the transaction's last state change."""
    session.flush()
    unrecorded = session.info.pop(TOUCHED, set()) - {e.chain for e in session.info.get(PENDING, [])}
    for case_id in sorted(unrecorded):  # a change with no entry of its own: a bug, but never a silent one
        log.warning("case %s changed without an audit entry; recording it as state.changed", case_id)
        record(session, case_id, "system:mediator", "state.changed", {}, utcnow())
    pending: list[AuditEntry] = session.info.pop(PENDING, [])
    if not pending:
        return {}
    session.info.pop(PREV, None)
    key = _key(session)
    session.flush()
    by_chain: dict[str, list[AuditEntry]] = {}
    for e in pending:
        by_chain.setdefault(e.chain, []).append(e)
    heads = {}
    for chain, new in by_chain.items():
        new.sort(key=lambda e: e.seq)
        prev = session.info.get(PREV, {}).get(chain) if new[0].seq > 1 else GENESIS
        if prev is None:
            prev = session.exec(
                select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq == new[0].seq - 1)
            ).one()
        state = state_digest(session, chain) if chain != NO_CASE else None
        for e in new:
            e.prev_hash, e.state = prev, state
            e.hash = entry_hash(key, e)
            prev = e.hash
            session.add(e)
        head = session.get(AuditHead, chain) or AuditHead(chain=chain, seq=0, hash=GENESIS, legacy_until=0)
        head.seq, head.hash, head.state = new[-1].seq, new[-1].hash, state
        head.mac = head_mac(key, head)
        session.add(head)
        heads[chain] = head
    session.flush()
    return heads


def seal_legacy(session: Session) -> int:
    """Once, on the first start with keys: seal each chain written before them as it stands (its
    plain hashes stay as they were; the head records where they end, and the case's state)."""
    key = _key(session)
    count = 0
    for head in session.exec(select(AuditHead).where(col(AuditHead.mac).is_(None))):
        head.legacy_until = head.seq
        head.state = state_digest(session, head.chain) if head.chain != NO_CASE else None
        head.mac = head_mac(key, head)
        session.add(head)
        count += 1
    if count:
        log.warning("sealed %d audit chains written before audit keys; their older entries stay unkeyed", count)
    return count


def keyed_heads(session: Session) -> int:
    return len(session.exec(select(AuditHead.chain).where(col(AuditHead.mac).is_not(None))).all())


def seal_text(head: AuditHead) -> str:
    """What the parties are shown: the newest entry's number and the start of its hash."""
    return f"entry {head.seq}, {head.hash[:SHORT]}"


@dataclass
class AuditProblem:
    chain: str
    seq: int
    problem: str


@dataclass
class ChainReport:
    chain: str
    entries: int
    legacy: int  # entries from before keys (plain hashes)


def verify(session: Session, case_id: str | None = None) -> list[AuditProblem]:
    """Recompute every chain (or one case's) and each case's state; an empty list means intact."""
    return check(session, case_id)[0]


def check(session: Session, case_id: str | None = None) -> tuple[list[AuditProblem], list[ChainReport]]:
    key = _key(session)
    query = select(AuditEntry).order_by(col(AuditEntry.chain), col(AuditEntry.seq))
    heads_q = select(AuditHead)
    if case_id:
        query = query.where(AuditEntry.chain == case_id)
        heads_q = heads_q.where(AuditHead.chain == case_id)
    heads = {h.chain: h for h in session.exec(heads_q)}
    problems: list[AuditProblem] = []
    reports: dict[str, ChainReport] = {}
    last: dict[str, AuditEntry] = {}
    chain, prev, expected = None, GENESIS, 1
    for e in session.exec(query):
        if e.chain != chain:
            chain, prev, expected = e.chain, GENESIS, 1
            reports[chain] = ChainReport(chain, 0, 0)
        head = heads.get(e.chain)
        legacy_until = head.legacy_until if head is not None else 0
        if e.seq != expected:
            problems.append(AuditProblem(e.chain, e.seq, f"entry {expected} is missing"))
        if e.prev_hash != prev:
            problems.append(AuditProblem(e.chain, e.seq, "does not link to the entry before it"))
        if e.seq <= legacy_until:
            ok = (
                e.state is None
                and _legacy_hash(e.chain, e.seq, e.at, e.actor, e.action, e.detail, e.prev_hash) == e.hash
            )
            reports[chain].legacy += 1
        else:
            ok = hmac.compare_digest(entry_hash(key, e), e.hash)
        if not ok:
            problems.append(
                AuditProblem(e.chain, e.seq, "content was changed after it was written (or sealed with another key)")
            )
        reports[chain].entries += 1
        prev, expected = e.hash, e.seq + 1
        last[e.chain] = e
    for name, e in last.items():
        head = heads.get(name)
        if head is None:
            problems.append(AuditProblem(name, e.seq, "the head of the log is missing"))
            continue
        if (head.seq, head.hash) != (e.seq, e.hash):
            problems.append(AuditProblem(name, head.seq, "the end of the log was removed or replaced"))
        if not head.mac or not hmac.compare_digest(head_mac(key, head), head.mac):
            problems.append(
                AuditProblem(name, head.seq, "the head of the log was changed (or sealed with another key)")
            )
        elif e.seq > head.legacy_until and head.state != e.state:
            problems.append(AuditProblem(name, head.seq, "the head does not match the newest entry"))
        if name != NO_CASE and head.state != state_digest(session, name):
            problems.append(
                AuditProblem(name, head.seq, "the case's records were changed outside the bot (state digest differs)")
            )
    for name, head in heads.items():
        if name not in last:
            problems.append(AuditProblem(name, head.seq, "the end of the log was removed or replaced"))
    cases_q = select(Case.id).where(Case.id == case_id) if case_id else select(Case.id)
    for cid in session.exec(cases_q):
        if cid not in heads:
            problems.append(AuditProblem(cid, 0, "the case has records but no audit trail"))
    return problems, list(reports.values())


def entries(session: Session, case_id: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.chain == case_id).order_by(col(AuditEntry.seq))))


def head(session: Session, case_id: str) -> AuditHead | None:
    return session.get(AuditHead, case_id)
