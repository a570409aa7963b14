"""/brief: propose, amend, show, and agree the brief of a case."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from mediation import cases
from mediation.currency import format_money
from mediation.i18n import L_, N_, Text, _, n_, render
from mediation.models import BriefVersion, Case
from mediation.timefmt import format_day
from mediation.vocabulary import ROLES, ReplyKind, role_name
from nlp.brief import parse_brief

from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply

_PLATFORM_NAMES = {"instagram": "Instagram", "tiktok": "TikTok", "youtube": "YouTube", "linkedin": "LinkedIn"}


def _num(v: float) -> str:
    return f"{v:g}"


REQUIREMENT_LABELS = {
    "deliverable": N_("deliverable"),
    "format": N_("format"),
    "dimensions": N_("dimensions"),
    "length": N_("length"),
    "deadline": N_("deadline"),
    "revisions": N_("revisions"),
    "price": N_("price"),
    "usage": N_("usage"),
    "excluded": N_("excluded"),
    "quality": N_("quality"),
    "exclusion": N_("exclusion"),
    "samples": N_("samples"),
    "colour": N_("colour"),
    "other": N_("other"),
}


def _for(value: str, where: str) -> str:
    return _("{value} for {where}", value=value, where=where) if where else value


def requirement_read(r: dict) -> tuple[str, str]:
    """A requirement as read: its label and the value the bot took from the brief (`[format] JPG`),
    so a party sees at once what will be checked. The label is the requirement's kind (English, as
    the payload has it); `requirement_line` words it."""
    kind = r["kind"]
    where = ", ".join(_PLATFORM_NAMES.get(p, p) for p in r.get("platforms", []))
    if kind == "deliverable" and r.get("quantity"):
        item = r.get("item") or _("items")
        if r.get("quantity_max"):
            value = _("up to {count} {item}", count=r["quantity"], item=item)
        else:
            value = f"{r['quantity']} {item}"
        return "deliverable", _for(value, where)
    if kind == "format" and r.get("formats"):
        return "format", _for(", ".join(f.upper() for f in r["formats"]), where)
    if kind == "dimensions":
        parts = []
        if r.get("width") and r.get("height"):
            parts.append(f"{r['width']}x{r['height']}")
        if r.get("long_side"):
            parts.append(_("long side {px} px", px=r["long_side"]))
        if r.get("resolution"):
            parts.append(str(r["resolution"]))
        if r.get("dpi"):
            parts.append(f"{r['dpi']} dpi")
        if r.get("max_file_mb"):
            parts.append(_("at most {mb} MB a file", mb=_num(r["max_file_mb"])))
        if not parts and r.get("aspect"):
            parts.append(_("aspect {aspect}", aspect=r["aspect"]))
        if parts:
            return "dimensions", ", ".join(parts)
    if kind == "length" and r.get("length_value"):
        value = f"{_num(r['length_value'])} {r.get('length_unit') or ''}".strip()
        return "length", _("{value} each", value=value) if r.get("length_per_item") else value
    if kind == "deadline":
        if r.get("deadline_date"):
            return "deadline", _("by {date}", date=format_day(r["deadline_date"]))
        if r.get("deadline_days") is not None:
            days = r["deadline_days"]
            if r.get("working_days"):
                return "deadline", n_("within {n} working day", "within {n} working days", days, n=_num(days))
            return "deadline", n_("within {n} day", "within {n} days", days, n=_num(days))
    if kind == "revisions" and r.get("revisions") is not None:
        return "revisions", n_("{n} round", "{n} rounds", r["revisions"])
    if kind == "price" and r.get("amount"):
        try:
            return "price", format_money(Decimal(r["amount"]), r.get("currency") or "USD")
        except Exception:  # a currency the money module does not know: as written
            return "price", f"{r['amount']} {r.get('currency') or ''}".strip()
    if kind == "usage" and (r.get("usage") or where):
        return "usage", ", ".join([*r.get("usage", []), *([where] if where else [])])
    if kind == "exclusion" and r.get("excluded"):
        excluded = ", ".join(r["excluded"])
        return "excluded", _("{items} (the client supplies it)", items=excluded) if r.get("by_client") else excluded
    if kind == "quality" and r.get("item"):
        return "quality", _("{item} (a person judges it)", item=r["item"])
    return kind, r["text"]


def requirement_line(r: dict) -> str:
    label, value = requirement_read(r)
    name = REQUIREMENT_LABELS.get(label)
    return "{}. [{}] {}".format(r["id"], _(name) if name else label, value)


def brief_reply(ctx: Ctx, case: Case, version: BriefVersion, headline: Text) -> Reply:
    parsed = parse_brief(version.text)
    reqs = [{k: v for k, v in asdict(r).items() if v not in (None, [], False)} for r in parsed.requirements]
    agreed = case.agreed_brief_id == version.id
    lines = [render(headline), "", version.text, ""]
    lines.append(
        _("As read (what /assess checks):") if reqs else _("No requirement recognised: say counts, formats, sizes.")
    )
    lines += [requirement_line(r) for r in reqs]
    waiting = [role for role in ROLES if getattr(version, f"{role}_agreed_at") is None]
    if agreed:
        lines.append("\n" + _("Agreed by both parties (version {version}).", version=version.version))
    elif len(waiting) == 2:
        lines.append("\n" + _("Waiting for both parties to agree: /brief agree"))
    elif waiting:
        lines.append("\n" + _("Waiting for the {role} to agree: /brief agree", role=role_name(waiting[0])))
    options = [] if agreed else [Option(_("Agree this brief"), "/brief agree")]
    return Reply(
        text="\n".join(lines),
        title=_("Brief of case {case_id}, version {version}", case_id=case.id, version=version.version),
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


@command("brief", N_("/brief <text>"), N_("propose or amend the brief (or show it, with no text)"), keys=("case",))
def brief(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    if not cmd.text:
        cases.require_party(ctx.s, case, ctx.party, action=N_("see the brief"))
        version = cases.latest_brief(ctx.s, case)
        if version is None:
            return [
                Reply(
                    text=_("Case {case_id} has no brief yet: propose one with /brief <text>.", case_id=case.id),
                    data={"type": ReplyKind.BRIEF, "case_id": case.id, "version": None},
                )
            ]
        return [brief_reply(ctx, case, version, _("The current brief of case {case_id}:", case_id=case.id))]
    version = cases.propose_brief(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    role = cases.role_of(ctx.s, case, ctx.party)
    headline = L_("The {role} proposed version {version} of the brief.", role=role_name(role), version=version.version)
    return ctx.to_parties(case, lambda: brief_reply(ctx, case, version, headline))


@command("brief agree", N_("/brief agree"), N_("accept the brief as it stands (both parties must)"), keys=("case",))
def brief_agree(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    version = cases.agree_brief(ctx.s, ctx.actor, ctx.party, case, ctx.now)
    role = cases.role_of(ctx.s, case, ctx.party)
    done = case.agreed_brief_id == version.id
    headline = (
        L_(
            "The brief is agreed (version {version}). The freelancer can deliver with /deliver.",
            version=version.version,
        )
        if done
        else L_("The {role} agreed version {version}.", role=role_name(role), version=version.version)
    )
    return ctx.to_parties(case, lambda: brief_reply(ctx, case, version, headline))
