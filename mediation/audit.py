"""The append-only audit trail: a hash chain per case, so an edit or a deletion shows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from .clock import as_utc
from .db import changes_of
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64
NO_CASE = "-"


def _digest(chain: str, seq: int, at: datetime, actor: str, action: str, detail: dict, prev: str) -> str:
    body = json.dumps(
        [chain, seq, as_utc(at).isoformat(timespec="microseconds"), actor, action, detail, prev],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(session: Session, case_id: str | None, actor: str, action: str, detail: dict, at: datetime) -> AuditEntry:
    chain = case_id or NO_CASE
    last = session.exec(
        select(AuditEntry).where(AuditEntry.chain == chain).order_by(col(AuditEntry.seq).desc()).limit(1)
    ).first()
    seq = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS
    detail = json.loads(json.dumps(detail, default=str))
    entry = AuditEntry(
        chain=chain,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        detail=detail,
        prev_hash=prev,
        hash=_digest(chain, seq, at, actor, action, detail, prev),
    )
    session.add(entry)
    head = session.get(AuditHead, chain)
    if head is None:
        head = AuditHead(chain=chain, seq=seq, hash=entry.hash)
    head.seq, head.hash = seq, entry.hash
    session.add(head)
    changes = changes_of(session)
    if changes is not None and case_id:
        changes.touch(chain)  # deadlines follow state changes
    return entry


@dataclass
class AuditProblem:
    chain: str
    seq: int
    problem: str


def verify(session: Session, case_id: str | None = None) -> list[AuditProblem]:
    """Recompute every chain (or one case's); an empty list means intact."""
    query = select(AuditEntry).order_by(col(AuditEntry.chain), col(AuditEntry.seq))
    if case_id:
        query = query.where(AuditEntry.chain == case_id)
    problems: list[AuditProblem] = []
    chain, prev, expected = None, GENESIS, 1
    heads_seen: dict[str, tuple[int, str]] = {}
    for e in session.exec(query):
        if e.chain != chain:
            chain, prev, expected = e.chain, GENESIS, 1
        if e.seq != expected:
            problems.append(AuditProblem(e.chain, e.seq, f"entry {expected} is missing"))
        if e.prev_hash != prev:
            problems.append(AuditProblem(e.chain, e.seq, "does not link to the entry before it"))
        if _digest(e.chain, e.seq, e.at, e.actor, e.action, e.detail, e.prev_hash) != e.hash:
            problems.append(AuditProblem(e.chain, e.seq, "content was changed after it was written"))
        prev, expected = e.hash, e.seq + 1
        heads_seen[e.chain] = (e.seq, e.hash)
    heads = session.exec(select(AuditHead).where(AuditHead.chain == case_id) if case_id else select(AuditHead))
    for head in heads:
        last = heads_seen.get(head.chain)
        if last != (head.seq, head.hash):
            problems.append(AuditProblem(head.chain, head.seq, "the end of the log was removed or replaced"))
    return problems


def entries(session: Session, case_id: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.chain == case_id).order_by(col(AuditEntry.seq))))
