"""The case file as documents a party or moderator can keep: JSON for programs, Markdown to read."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from . import audit, moderation
from .config import Settings
from .currency import format_money
from .models import Case
from .timefmt import format_when

AUDIENCES = ("party", "moderator")


def case_document(s: Session, case: Case, settings: Settings, audience: str = "party") -> dict:
    """The case file; a party's copy leaves out the moderators' private notes and the blind offers."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}")
    doc = moderation.case_file(s, case, settings)
    doc["audience"] = audience
    if audience == "party":
        doc.pop("notes", None)
        doc.pop("offers", None)
    doc["audit"] = [
        {"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "hash": e.hash}
        for e in audit.entries(s, case.id)
    ]
    doc["audit_intact"] = not audit.verify(s, case.id)
    head = audit.head(s, case.id)
    doc["audit_seal"] = {"seq": head.seq, "hash": head.hash[: audit.SHORT]} if head else None
    return doc


def to_markdown(doc: dict) -> str:
    """The case file to read, in the reader's locale and time zone, with UTC beside every time (the JSON
    keeps ISO times in UTC and amounts as exact text)."""
    st = doc["status"]
    cur = st["currency"]
    money = lambda v: format_money(Decimal(v), cur) if v not in (None, "") else "—"
    out = [
        f"# Case {doc['case_id']}: {st['title']}",
        "",
        f"- Status: {st['status']}",
        f"- Amount: {money(st['amount'])}",
    ]
    deadline = (doc.get("facts") or {}).get("deadline")
    if deadline:
        out.append(f"- Deadline: {_at(deadline)}")
    for role, p in st["parties"].items():
        out.append(f"- {role.capitalize()}: {p['name']} ({p['platform']})" if p else f"- {role.capitalize()}: —")
    out += ["", "## Brief"]
    for b in doc["briefs"]:
        out += [f"### Version {b['version']}{' (agreed)' if b['agreed'] else ''}", "", b["text"], ""]
    out.append("## Deliveries")
    for d in doc["deliveries"]:
        out.append(f"- {_at(d['at'])}: {d['note'] or '(no note)'}")
        out += [f"  - {f['name']} ({f['size']} bytes, sha256 `{f['sha256']}`)" for f in d["files"]]
    out += ["", "## Approvals"] + [f"- {_at(a['at'])}: {a['what']}" for a in doc["approvals"]]
    out += ["", "## Requests"]
    for r in doc["requests"]:
        sc = r.get("scope") or {}
        flag = f" — {'beyond' if sc.get('out_of_scope') else 'within'} the brief ({sc.get('kind')})" if sc else ""
        out.append(f"- {_at(r['at'])}: {r['text']}{flag}")
    out += ["", "## Proposals"] + [f"- {p['id']} (round {p['round']}): {p['title']}" for p in doc["proposals"]]
    out += [f"- the {v['role']} {'accepted' if v['accepted'] else 'rejected'} {v['proposal']}" for v in doc["votes"]]
    if doc.get("audience") == "moderator":
        out += ["", "## Moderators' notes (private)"]
        out += [f"- {_at(n['at'])} by {n['by']}: {n['text']}" for n in doc.get("notes") or []] or ["- none"]
        out += ["", "## Blind offers (private)"]
        offers = doc.get("offers")
        if offers is None:
            out.append("- shown to moderators only after the decision (the configuration says so)")
        else:
            out += [
                f"- round {o['round']}: the {o['role']} offered a refund of {money(o['amount'])}" for o in offers
            ] or ["- none"]
    out += ["", "## Decisions"] + [
        f"- {_at(d['at'])}: {d['outcome']} (client refund {money(d['client_refund'])}) by {d['by']}: {d['reason']}"
        for d in doc["decisions"]
    ]
    out += ["", "## Timeline", ""] + [
        f"{e['seq']}. {_at(e['at'])} {e['action']} by {e['actor']}" for e in doc["timeline"]
    ]
    out += ["", f"Audit trail: {'intact' if doc['audit_intact'] else 'ALTERED — see mediator audit verify'}."]
    if doc.get("audit_seal"):
        seal = doc["audit_seal"]
        out.append(f"Audit seal: entry {seal['seq']}, {seal['hash']}.")
    return "\n".join(out) + "\n"


def _at(when: str) -> str:
    """A time in the reader's zone, with UTC beside it when that is another zone."""
    return format_when(when, utc_beside=True)


def write(doc: dict, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    js = folder / f"case-{doc['case_id']}.json"
    md = folder / f"case-{doc['case_id']}.md"
    js.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    md.write_text(to_markdown(doc), encoding="utf-8")
    return js, md
