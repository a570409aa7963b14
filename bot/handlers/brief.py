"""/brief: propose, amend, show, and agree the brief of a case."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from mediation import cases
from mediation.currency import format_money
from mediation.models import BriefVersion, Case
from mediation.timefmt import format_day
from mediation.vocabulary import ROLES, ReplyKind
from nlp.brief import parse_brief

from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply

_PLATFORM_NAMES = {"instagram": "Instagram", "tiktok": "TikTok", "youtube": "YouTube", "linkedin": "LinkedIn"}


def _num(v: float) -> str:
    return f"{v:g}"


def requirement_read(r: dict) -> tuple[str, str]:
    """A requirement as read: its label and the value the bot took from the brief (`[format] JPG`),
    so a party sees at once what will be checked."""
    kind = r["kind"]
    where = ", ".join(_PLATFORM_NAMES.get(p, p) for p in r.get("platforms", []))
    if kind == "deliverable" and r.get("quantity"):
        most = "up to " if r.get("quantity_max") else ""
        value = f"{most}{r['quantity']} {r.get('item') or 'items'}"
        return "deliverable", value + (f" for {where}" if where else "")
    if kind == "format" and r.get("formats"):
        return "format", ", ".join(f.upper() for f in r["formats"]) + (f" for {where}" if where else "")
    if kind == "dimensions":
        parts = []
        if r.get("width") and r.get("height"):
            parts.append(f"{r['width']}x{r['height']}")
        if r.get("long_side"):
            parts.append(f"long side {r['long_side']} px")
        if r.get("resolution"):
            parts.append(str(r["resolution"]))
        if r.get("dpi"):
            parts.append(f"{r['dpi']} dpi")
        if r.get("max_file_mb"):
            parts.append(f"at most {_num(r['max_file_mb'])} MB a file")
        if not parts and r.get("aspect"):
            parts.append(f"aspect {r['aspect']}")
        if parts:
            return "dimensions", ", ".join(parts)
    if kind == "length" and r.get("length_value"):
        each = " each" if r.get("length_per_item") else ""
        return "length", f"{_num(r['length_value'])} {r.get('length_unit') or ''}{each}".replace("  ", " ")
    if kind == "deadline":
        if r.get("deadline_date"):
            return "deadline", f"by {format_day(r['deadline_date'])}"
        if r.get("deadline_days") is not None:
            unit = "working days" if r.get("working_days") else "days"
            return "deadline", f"within {_num(r['deadline_days'])} {unit}"
    if kind == "revisions" and r.get("revisions") is not None:
        n = r["revisions"]
        return "revisions", f"{n} round{'s' if n != 1 else ''}"
    if kind == "price" and r.get("amount"):
        try:
            return "price", format_money(Decimal(r["amount"]), r.get("currency") or "USD")
        except Exception:  # a currency the money module does not know: as written
            return "price", f"{r['amount']} {r.get('currency') or ''}".strip()
    if kind == "usage" and (r.get("usage") or where):
        return "usage", ", ".join([*r.get("usage", []), *([where] if where else [])])
    if kind == "exclusion" and r.get("excluded"):
        by = " (the client supplies it)" if r.get("by_client") else ""
        return "excluded", ", ".join(r["excluded"]) + by
    if kind == "quality" and r.get("item"):
        return "quality", f"{r['item']} (a person judges it)"
    return kind, r["text"]


def brief_reply(ctx: Ctx, case: Case, version: BriefVersion, headline: str) -> Reply:
    parsed = parse_brief(version.text)
    reqs = [{k: v for k, v in asdict(r).items() if v not in (None, [], False)} for r in parsed.requirements]
    agreed = case.agreed_brief_id == version.id
    lines = [headline, "", version.text, ""]
    lines.append("As read (what /assess checks):" if reqs else "No requirement recognised: say counts, formats, sizes.")
    lines += ["{}. [{}] {}".format(r["id"], *requirement_read(r)) for r in reqs]
    waiting = [role for role in ROLES if getattr(version, f"{role}_agreed_at") is None]
    if agreed:
        lines.append(f"\nAgreed by both parties (version {version.version}).")
    elif waiting:
        lines.append(f"\nWaiting for the {' and '.join(waiting)} to agree: /brief agree")
    options = [] if agreed else [Option("Agree this brief", "/brief agree")]
    return Reply(
        text="\n".join(lines),
        title=f"Brief of case {case.id}, version {version.version}",
        options=options,
        data={
            "type": ReplyKind.BRIEF,
            "case_id": case.id,
            "version": version.version,
            "text": version.text,
            "agreed": agreed,
            "client_agreed": version.client_agreed_at is not None,
            "freelancer_agreed": version.freelancer_agreed_at is not None,
            "requirements": reqs,
        },
    )


@command("brief", "/brief <text>", "propose or amend the brief (or show it, with no text)", keys=("case",))
def brief(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    if not cmd.text:
        cases.require_party(ctx.s, case, ctx.party, action="see the brief")
        version = cases.latest_brief(ctx.s, case)
        if version is None:
            return [
                Reply(
                    text=f"Case {case.id} has no brief yet: propose one with /brief <text>.",
                    data={"type": ReplyKind.BRIEF, "case_id": case.id, "version": None},
                )
            ]
        return [brief_reply(ctx, case, version, f"The current brief of case {case.id}:")]
    version = cases.propose_brief(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    role = cases.role_of(ctx.s, case, ctx.party)
    headline = f"The {role} proposed version {version.version} of the brief."
    return [brief_reply(ctx, case, version, headline)] + ctx.notify_others(
        case, lambda: brief_reply(ctx, case, version, headline)
    )


@command("brief agree", "/brief agree", "accept the brief as it stands (both parties must)", keys=("case",))
def brief_agree(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    version = cases.agree_brief(ctx.s, ctx.actor, ctx.party, case, ctx.now)
    role = cases.role_of(ctx.s, case, ctx.party)
    done = case.agreed_brief_id == version.id
    headline = (
        f"The brief is agreed (version {version.version}). The freelancer can deliver with /deliver."
        if done
        else f"The {role} agreed version {version.version}."
    )
    return [brief_reply(ctx, case, version, headline)] + ctx.notify_others(
        case, lambda: brief_reply(ctx, case, version, headline)
    )
