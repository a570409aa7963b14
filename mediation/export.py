"""The case file as documents a party or moderator can keep: JSON for programs, Markdown to read."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from . import audit, moderation
from .config import Settings
from .currency import format_money
from .i18n import _, render, shown
from .models import Case
from .timefmt import format_when
from .vocabulary import role_name, state_name

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
    """The case file to read, in the current reader's language, locale and time zone, with UTC beside
    every time (the JSON stays as it is: ISO times in UTC, amounts as exact text)."""
    st = doc["status"]
    cur = st["currency"]
    money = lambda v: format_money(Decimal(v), cur) if v not in (None, "") else "—"
    out = [
        _("# Case {case_id}: {title}", case_id=doc["case_id"], title=st["title"]),
        "",
        _("- Status: {status}", status=render(state_name(st["status"]))),
        _("- Amount: {amount}", amount=money(st["amount"])),
    ]
    deadline = (doc.get("facts") or {}).get("deadline")
    if deadline:
        out.append(_("- Deadline: {at}", at=_at(deadline)))
    for role, p in st["parties"].items():
        side = _cap(render(role_name(role)))
        out.append(f"- {side}: {p['name']} ({p['platform']})" if p else f"- {side}: —")
    out += ["", _("## Brief")]
    for b in doc["briefs"]:
        heading = (
            _("### Version {version} (agreed)", version=b["version"])
            if b["agreed"]
            else _("### Version {version}", version=b["version"])
        )
        out += [heading, "", b["text"], ""]
    out.append(_("## Deliveries"))
    for d in doc["deliveries"]:
        out.append(f"- {_at(d['at'])}: {d['note'] or _('(no note)')}")
        out += [
            "  - " + _("{name} ({size} bytes, sha256 {sha})", name=f["name"], size=f["size"], sha=f"`{f['sha256']}`")
            for f in d["files"]
        ]
    out += ["", _("## Approvals")] + [f"- {_at(a['at'])}: {a['what']}" for a in doc["approvals"]]
    out += ["", _("## Requests")]
    for r in doc["requests"]:
        sc = r.get("scope") or {}
        if sc:
            flag = (
                _("beyond the brief ({kind})", kind=sc.get("kind"))
                if sc.get("out_of_scope")
                else _("within the brief ({kind})", kind=sc.get("kind"))
            )
            out.append(f"- {_at(r['at'])}: {r['text']} — {flag}")
        else:
            out.append(f"- {_at(r['at'])}: {r['text']}")
    out += ["", _("## Proposals")] + [
        "- " + _("{id} (round {round}): {title}", id=p["id"], round=p["round"], title=shown(p, "title"))
        for p in doc["proposals"]
    ]
    out += [
        "- "
        + (
            _("the {role} accepted {proposal}", role=role_name(v["role"]), proposal=v["proposal"])
            if v["accepted"]
            else _("the {role} rejected {proposal}", role=role_name(v["role"]), proposal=v["proposal"])
        )
        for v in doc["votes"]
    ]
    if doc.get("audience") == "moderator":
        out += ["", _("## Moderators' notes (private)")]
        out += [
            "- " + _("{at} by {by}: {text}", at=_at(n["at"]), by=n["by"], text=n["text"])
            for n in doc.get("notes") or []
        ] or ["- " + _("none")]
        out += ["", _("## Blind offers (private)")]
        offers = doc.get("offers")
        if offers is None:
            out.append("- " + _("shown to moderators only after the decision (the configuration says so)"))
        else:
            out += [
                "- "
                + _(
                    "round {round}: the {role} offered a refund of {amount}",
                    round=o["round"],
                    role=role_name(o["role"]),
                    amount=money(o["amount"]),
                )
                for o in offers
            ] or ["- " + _("none")]
    out += ["", _("## Decisions")] + [
        "- "
        + _(
            "{at}: {outcome} (client refund {refund}) by {by}: {reason}",
            at=_at(d["at"]),
            outcome=d["outcome"],
            refund=money(d["client_refund"]),
            by=d["by"],
            reason=d["reason"],
        )
        for d in doc["decisions"]
    ]
    out += ["", _("## Timeline"), ""] + [
        _("{seq}. {at} {action} by {actor}", seq=e["seq"], at=_at(e["at"]), action=e["action"], actor=e["actor"])
        for e in doc["timeline"]
    ]
    out += [
        "",
        _("Audit trail: intact.") if doc["audit_intact"] else _("Audit trail: ALTERED — see mediator audit verify."),
    ]
    if doc.get("audit_seal"):
        seal = doc["audit_seal"]
        out.append(_("Audit seal: entry {seq}, {hash}.", seq=seal["seq"], hash=seal["hash"]))
    return "\n".join(out) + "\n"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


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
