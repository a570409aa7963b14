"""/assess, /dispute, /proposals and /feedback preview: the facts, then the outcomes and their effects."""

from __future__ import annotations

from decimal import Decimal

from mediation import cases, settlement
from mediation.chart import proposals_chart
from mediation.currency import format_money
from mediation.errors import MediationError
from mediation.proposals import feedback_preview
from mediation.vocabulary import ReplyKind, Role

from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, OutFile, Reply


def assessment_reply(case_id: str, assessment, facts=None) -> Reply:
    data = assessment.to_data()
    data["case_id"] = case_id
    text = assessment.to_text()
    if facts is not None:
        data["facts"] = facts.to_data()
        lines = facts.summary()
        if lines:
            text += "\nCase facts:\n" + "\n".join(f"- {line}" for line in lines)
    return Reply(text=text, title=f"Assessment of case {case_id}", data=data)


@command("assess", "/assess", "deliveries against the brief, requirement by requirement", keys=("case",))
def assess(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    cases.require_party(ctx.s, case, ctx.party, action="assess its deliveries")
    assessment = settlement.case_assessment(ctx.s, case, ctx.settings, ctx.progress, ctx.inspected)
    facts = settlement.case_facts_of(ctx.s, case, ctx.settings, ctx.now, assessment)
    return [assessment_reply(case.id, assessment, facts)]


def _money(value: str | None, currency: str) -> str:
    return "—" if value is None else format_money(Decimal(value), currency)


def _score(before, after) -> str:
    if before is None and after is None:
        return "no score yet"
    fmt = lambda v: "—" if v is None else f"{v:.0f}"
    return f"{fmt(before)}→{fmt(after)}"


def effect_line(fb: dict) -> str:
    """One policy's verdict on an outcome: scores, whether it counts, who may leave feedback."""
    allowed = [role for role, ok in (fb.get("feedback_allowed") or {}).items() if ok]
    return (
        f"under {fb['policy']}: freelancer score {_score(fb['freelancer_score_before'], fb['freelancer_score_after'])}, "
        f"client score {_score(fb['client_score_before'], fb['client_score_after'])}; "
        f"counts in score: {fb['counts_in_score']}; feedback text public: {fb['feedback_public']}; "
        f"may leave feedback: {', '.join(allowed) or 'nobody'}"
    )


def proposals_reply(case, items: list[dict], headline: str = "", chart: bytes | None = None) -> Reply:
    cur = case.currency
    lines = [headline] if headline else []
    for p in items:
        fb = p["feedback"]
        lines.append(f"{p['id']}. {p['title']}")
        if p["money"]:
            lines.append(
                f"   money: client refund {_money(p['client_refund'], cur)}, freelancer net "
                f"{_money(p['freelancer_net'], cur)}, fees {_money(p['fees']['platform_total'], cur)}"
            )
        elif p.get("money_range"):
            lo, hi = p["money_range"]["freelancer_net"]
            lines.append(
                f"   money: decided by a moderator; freelancer net between {_money(lo, cur)} and {_money(hi, cur)}"
            )
        lines.append("   " + effect_line(fb))
        if p.get("comparison_policy"):
            lines.append("   " + effect_line(p["comparison_policy"]))
        order = p.get("change_order")
        if order:
            lines.append(
                f"   new work: {_money(order['price'], cur)} ({order['basis'].replace('_', ' ')})"
                if order["price"]
                else f"   new work: to be quoted by the freelancer: /quote {p['id']} <price>"
            )
        lines.append(f"   why: {p['rationale']}")
    options = [Option(f"Accept {p['id']}", f"/accept {p['id']}") for p in items[:3]]
    options += [Option(f"Reject {p['id']}", f"/reject {p['id']}") for p in items[:1]]
    data = {"type": ReplyKind.PROPOSALS, "case_id": case.id, "items": items}
    files = [OutFile("proposals.png", chart, "image/png")] if chart else []
    return Reply(
        text="\n".join(lines), title=f"Proposals for case {case.id}", options=options, attachments=files, data=data
    )


def assess_if_delivered(ctx: Ctx, case):
    return (
        settlement.case_assessment(ctx.s, case, ctx.settings, ctx.progress, ctx.inspected)
        if cases.deliveries(ctx.s, case)
        else None
    )


def proposals_round(ctx: Ctx, case, headline: str, disputing: str | None, assessment) -> list[Reply]:
    """Rank the outcomes on the assessed facts, and tell both parties."""
    ranked, items = settlement.make_proposals(
        ctx.s, ctx.actor, case, settings=ctx.settings, now=ctx.now, assessment=assessment, disputing=disputing
    )
    chart = proposals_chart(ranked)
    out = []
    if assessment is not None:
        out.append(assessment_reply(case.id, assessment))
        out += ctx.notify_others(case, lambda: assessment_reply(case.id, assessment))
    out.append(proposals_reply(case, items, headline, chart))
    out += ctx.notify_others(case, lambda: proposals_reply(case, items, headline, chart))
    return out


@command("dispute", "/dispute <reason>", "open mediation: assessment and ranked proposals", keys=("case",))
def dispute(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    cases.require_party(ctx.s, case, ctx.party, action="open a dispute")
    assessment = assess_if_delivered(ctx, case)  # the slow part, before anything is written
    role = settlement.open_dispute(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    headline = f"The {role} opened a dispute: {cmd.text}\nHere is where the case stands and what could end it."
    return proposals_round(ctx, case, headline, role, assessment)


@command("quote", "/quote <proposal id> <price>", "price a change order for new work (the freelancer)", keys=("case",))
def quote(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    label = cmd.args[0] if cmd.args else ""
    cases.require_party(ctx.s, case, ctx.party, role=Role.FREELANCER, action="quote a change order")
    assessment = assess_if_delivered(ctx, case)
    request = settlement.quote_change_order(
        ctx.s,
        ctx.actor,
        ctx.party,
        case,
        label=label,
        amount_text=cmd.args[1] if len(cmd.args) > 1 else "",
        settings=ctx.settings,
        now=ctx.now,
    )
    headline = f"The freelancer quoted the new work for “{request}”. The proposals are updated."
    return proposals_round(ctx, case, headline, None, assessment)


@command("proposals", "/proposals", "the current proposals", keys=("case",))
def proposals(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    if cases.role_of(ctx.s, case, ctx.party) is None and not ctx.is_moderator():
        raise MediationError("not_a_party", f"Only the parties of case {case.id} and moderators can see its proposals.")
    rows = settlement.current_proposals(ctx.s, case)
    if not rows:
        raise MediationError("no_proposals", f"There are no proposals on case {case.id}: /dispute <reason> makes them.")
    return [proposals_reply(case, [r.data for r in rows])]


def _float(text: str | None, name: str) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise MediationError("bad_argument", f"{name} must be a number from 0 to 100, got {text!r}") from None
    if not 0 <= value <= 100:
        raise MediationError("bad_argument", f"{name} must be from 0 to 100, got {text}")
    return value


@command(
    "feedback preview",
    "/feedback preview <outcome> [refund]",
    "what an outcome does to money and scores (ad hoc: outcome=… amount=… score=…)",
    keys=("outcome", "amount", "currency", "refund", "score", "client_score", "case"),
)
def feedback_preview_(ctx: Ctx, cmd: Command) -> list[Reply]:
    kv = cmd.kv
    outcome = (kv.get("outcome") or (cmd.args[0] if cmd.args else "")).lower()
    if not outcome:
        raise MediationError(
            "missing_argument",
            "Usage: /feedback preview <outcome> in a case, or "
            "/feedback preview outcome=full_refund amount=88 [currency=USD] [score=92]",
        )
    refund = kv.get("refund") or (cmd.args[1] if len(cmd.args) > 1 else None)
    common = dict(
        policy=ctx.settings.feedback.active(),
        comparison=ctx.settings.feedback.comparison(),
        fees=ctx.settings.fees.schedule(),
        client_refund=refund,
        now=ctx.now,
        window_days=ctx.settings.feedback.score_window_days,
        max_amount=ctx.settings.limits.max_amount,
    )
    if "amount" in kv:  # ad hoc, no case
        data = feedback_preview(
            outcome,
            kv["amount"],
            kv.get("currency") or "USD",
            freelancer_score=_float(kv.get("score"), "score"),
            client_score=_float(kv.get("client_score"), "client_score"),
            **common,
        )
        title = "Feedback preview"
    else:
        case = ctx.case(cmd)
        cases.require_party(ctx.s, case, ctx.party, action="preview its outcomes")
        hist = settlement.histories(ctx.s, case, ctx.settings, ctx.settings.feedback.active())
        comparison = ctx.settings.feedback.comparison()
        other = settlement.histories(ctx.s, case, ctx.settings, comparison) if comparison else {}
        data = feedback_preview(
            outcome,
            case.amount,
            case.currency,
            history_client=hist.get("client", []),
            history_freelancer=hist.get("freelancer", []),
            comparison_histories=(other.get("client", []), other.get("freelancer", [])),
            **common,
        )
        data["case_id"] = case.id
        title = f"Feedback preview for case {case.id}"
    cur = data["currency"]
    fb = data["feedback"]
    lines = [data["explanation"]]
    if data.get("money"):
        m = data["money"]
        lines.append(
            f"Money: client refund {_money(m['client_refund'], cur)}, freelancer net "
            f"{_money(m['freelancer_net'], cur)}, fees {_money(m['platform_total'], cur)}."
        )
    lines.append(effect_line(fb))
    if data.get("comparison_policy"):
        lines.append(effect_line(data["comparison_policy"]))
    lines += [f"Assumed: {a}" for a in data.get("assumptions", [])]
    return [Reply(text="\n".join(lines), title=title, data=data)]
