"""/assess, /dispute, /proposals and /feedback preview: the facts, then the outcomes and their effects."""

from __future__ import annotations

from decimal import Decimal

from mediation import cases, settlement
from mediation.chart import proposals_chart
from mediation.currency import format_money, named_currency
from mediation.errors import MediationError
from mediation.proposals import feedback_preview
from mediation.vocabulary import Outcome, ProposalChangeKind, ReplyKind, Role

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, OutFile, Reply
from ..replies import OUTCOME_NAMES


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


def _points(v: float) -> str:
    return f"{v:.0f}"


def score_words(who: str, before: float | None, after: float | None, worst: float | None = None) -> str:
    """One side's score before and after an outcome, in words (never an arrow from nothing)."""
    if before is None and after is None:
        return f"the {who} has no score yet and still has none"
    if after is None:
        return f"the {who}'s score ({_points(before)}) depends on the moderator's decision"
    tail = f", or {_points(worst)} if the other side leaves negative feedback" if worst not in (None, after) else ""
    if before is None:
        return f"the {who}'s first score would be {_points(after)}{tail}"
    if round(after) == round(before):
        return f"the {who}'s score stays at {_points(before)}{tail}"
    return f"the {who}'s score goes from {_points(before)} to {_points(after)}{tail}"


def counts_words(counts: bool | None) -> str:
    if counts is None:
        return "counts in the freelancer's success score or not, as the moderator decides"
    return "counts in the freelancer's success score" if counts else "does not count in the freelancer's success score"


def feedback_words(fb: dict) -> str:
    allowed = fb.get("feedback_allowed") or {}
    may = [role for role, ok in allowed.items() if ok]
    open_ = [role for role, ok in allowed.items() if ok is None]
    who = " and ".join(may) if may else "nobody"
    text = f"{who} may leave feedback" if may else "nobody may leave feedback"
    if open_ and not may:
        text = "who may leave feedback depends on the decision"
    public = fb.get("feedback_public")
    if public is None:
        shown = "whether its text shows depends on the decision"
    else:
        shown = "its text is public" if public else "its text is hidden"
    return f"{text}; {shown}"


def effect_line(fb: dict) -> str:
    """One policy's verdict on an outcome, in words: the score, both sides' scores, feedback."""
    if fb.get("outcome") == Outcome.ESCALATE:
        return (
            f"Under the '{fb['policy']}' policy the moderator's decision sets both scores; "
            f"it {counts_words(fb['counts_in_score'])}; {feedback_words(fb)}."
        )
    return (
        f"Under the '{fb['policy']}' policy it {counts_words(fb['counts_in_score'])}; "
        f"{score_words('freelancer', fb['freelancer_score_before'], fb['freelancer_score_after'], fb.get('freelancer_score_worst'))}; "
        f"{score_words('client', fb['client_score_before'], fb['client_score_after'], fb.get('client_score_worst'))}; "
        f"{feedback_words(fb)}."
    )


def _gets_back(p: dict, cur: str) -> str:
    """What the client gets back: the refund and any fees handed back (the chart's client bar)."""
    m = p.get("money")
    if not m:
        return ""
    return format_money(Decimal(m["client_refund"]) + Decimal(m.get("client_fee_refund") or 0), cur)


def score_effect(fb: dict) -> str:
    """The freelancer's score under one policy, in a few words for a one-line summary."""
    if fb.get("outcome") == Outcome.ESCALATE:
        return "scores as the moderator decides"
    if fb["counts_in_score"] is False:
        return "freelancer's score: not counted"
    after, worst = fb["freelancer_score_after"], fb.get("freelancer_score_worst")
    if after is None:
        return "freelancer's score: counts"
    risk = f" ({_points(worst)} with negative feedback)" if worst is not None and round(worst) != round(after) else ""
    if fb["freelancer_score_before"] is None:
        return f"freelancer's score: counts, first score {_points(after)}{risk}"
    return f"freelancer's score: counts, {_points(fb['freelancer_score_before'])} to {_points(after)}{risk}"


def proposal_line(p: dict, cur: str) -> tuple[str, str]:
    """One proposal as one line (a field): id and outcome; what each side ends with; the score."""
    name = OUTCOME_NAMES.get(p["kind"], p["kind"]).capitalize()
    order = p.get("change_order")
    if p["kind"] == Outcome.PARTIAL_REFUND and p.get("client_refund"):
        name += f" of {_money(p['client_refund'], cur)}"
    if order:
        name += f" (new work {_money(order['price'], cur)})" if order["price"] else " (new work to be quoted)"
    if p.get("money"):
        money = f"client gets back {_gets_back(p, cur)}, freelancer nets {_money(p['freelancer_net'], cur)}"
    else:
        lo, hi = p["money_range"]["freelancer_net"]
        money = f"freelancer nets {_money(lo, cur)} to {_money(hi, cur)}, as decided"
    return f"{p['id']} {name}", f"{money}; {score_effect(p['feedback'])}"


def proposals_reply(case, items: list[dict], headline: str = "", chart: bytes | None = None) -> Reply:
    """The proposals for a chat screen: one line each, best first, then how to see why and act.
    The data keeps every figure and the full reasoning of each (`items`)."""
    cur = case.currency
    policy = items[0]["feedback"]["policy"] if items else ""
    compared = (items[0].get("comparison_policy") or {}).get("policy") if items else None
    lines = [headline] if headline else []
    lines.append(
        f"Best first. Scores under the '{policy}' policy"
        + (f" ('{compared}' compared in the details)" if compared else "")
        + ". Why one fits, in full: /proposals <id>."
    )
    fields = [proposal_line(p, cur) for p in items]
    order = next((p for p in items if p.get("change_order") and not p["change_order"]["price"]), None)
    if order:
        lines.append(f"The freelancer prices the new work with /quote {order['id']} <price>.")
    options = [Option(f"Accept {p['id']}", f"/accept {p['id']}") for p in items]
    options += [Option(f"Why {p['id']}?", f"/proposals {p['id']}") for p in items]
    data = {"type": ReplyKind.PROPOSALS, "case_id": case.id, "items": items}
    files = [OutFile("proposals.png", chart, "image/png")] if chart else []
    return Reply(
        text="\n".join(lines),
        title=f"Proposals for case {case.id}",
        fields=fields,
        options=options,
        attachments=files,
        data=data,
    )


def proposal_detail(case, p: dict) -> Reply:
    """One proposal in full: money, both policies' effects, the change order, and why it fits."""
    cur = case.currency
    lines = [p["title"] + "."]
    if p.get("money"):
        lines.append(replies.money_words(p["money"], cur).capitalize() + ".")
    elif p.get("money_range"):
        lo, hi = p["money_range"]["freelancer_net"]
        lines.append(
            f"A moderator decides the money: the freelancer nets between {_money(lo, cur)} and {_money(hi, cur)}."
        )
    lines.append(effect_line(p["feedback"]))
    if p.get("comparison_policy"):
        lines.append(effect_line(p["comparison_policy"]))
    order = p.get("change_order")
    if order:
        lines.append(
            f"New work: {_money(order['price'], cur)} ({order['basis'].replace('_', ' ')})."
            if order["price"]
            else f"New work: to be quoted by the freelancer with /quote {p['id']} <price>."
        )
    lines.append(f"Why: {p['rationale']}")
    options = [Option(f"Accept {p['id']}", f"/accept {p['id']}"), Option("All proposals", "/proposals")]
    return Reply(
        text="\n".join(lines),
        title=f"Proposal {p['id']} on case {case.id}",
        options=options,
        data={"type": ReplyKind.PROPOSAL, "case_id": case.id, "item": p},
    )


def changes_text(changes, items: list[dict], currency: str) -> str:
    """What a new round did to proposals the parties already saw, by id: nothing changes silently."""
    by_id = {i["id"]: i for i in items}
    lines = []
    for c in changes:
        name = OUTCOME_NAMES.get(c.kind, c.kind)
        if c.what == ProposalChangeKind.UPDATED:
            item = by_id[c.id]
            order = item.get("change_order") or {}
            if "the price of the new work" in c.changed and order.get("price"):
                now = f"the new work is now priced at {_money(order['price'], currency)}"
            else:
                now = f"the client now gets back {_money(item['client_refund'], currency)}"
            cleared = f"; the {' and '.join(c.cleared)}'s acceptance of the old terms is cleared" if c.cleared else ""
            lines.append(f"{c.id} ({name}) is updated in place: {now}{cleared}.")
        elif c.what == ProposalChangeKind.WITHDRAWN:
            lines.append(f"{c.id} ({name}) is withdrawn: the facts no longer support it.")
        else:
            lines.append(f"{c.id} ({name}) is new.")
    return "\n".join(lines)


def assess_if_delivered(ctx: Ctx, case):
    return (
        settlement.case_assessment(ctx.s, case, ctx.settings, ctx.progress, ctx.inspected)
        if cases.deliveries(ctx.s, case)
        else None
    )


def proposals_round(ctx: Ctx, case, headline: str, disputing: str | None, assessment) -> list[Reply]:
    """Rank the outcomes on the assessed facts, and tell both parties."""
    ranked, items, changes = settlement.make_proposals(
        ctx.s, ctx.actor, case, settings=ctx.settings, now=ctx.now, assessment=assessment, disputing=disputing
    )
    said = changes_text(changes, items, case.currency)
    if said:
        headline = f"{headline}\n{said}" if headline else said
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
    headline = f"The freelancer quoted the new work for “{request}”."
    return proposals_round(ctx, case, headline, None, assessment)


@command("proposals", "/proposals [id]", "the current proposals; with an id, why that one fits", keys=("case",))
def proposals(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    if cases.role_of(ctx.s, case, ctx.party) is None and not ctx.is_moderator():
        raise MediationError("not_a_party", f"Only the parties of case {case.id} and moderators can see its proposals.")
    rows = settlement.current_proposals(ctx.s, case)
    if not rows:
        raise MediationError(
            "no_proposals", f"There are no proposals on case {case.id}: /dispute <reason> makes them.", hint="dispute"
        )
    if cmd.args:
        from mediation.negotiation import current_proposal

        return [proposal_detail(case, current_proposal(ctx.s, case, cmd.args[0], verb="proposals").data)]
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
            kv.get("currency") or named_currency(kv["amount"]) or "USD",
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
            Decimal(case.amount),  # stored exact: not read again as typed text
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
