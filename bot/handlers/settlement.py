"""/assess, /dispute, /proposals and /feedback preview: the facts, then the outcomes and their effects."""

from __future__ import annotations

from decimal import Decimal

from mediation import cases, settlement
from mediation.chart import proposals_chart
from mediation.currency import format_money, named_currency
from mediation.errors import MediationError
from mediation.i18n import L_, N_, Text, _, current_locale, render, shown, stored
from mediation.proposals import feedback_preview
from mediation.vocabulary import Outcome, ProposalChangeKind, ReplyKind, Role, role_name

from .. import replies
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
            text += "\n" + _("Case facts:") + "\n" + "\n".join(f"- {render(line)}" for line in lines)
    return Reply(text=text, title=_("Assessment of case {case_id}", case_id=case_id), data=data)


@command("assess", N_("/assess"), N_("deliveries against the brief, requirement by requirement"), keys=("case",))
def assess(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    cases.require_party(ctx.s, case, ctx.party, action=N_("assess its deliveries"))
    assessment = settlement.case_assessment(ctx.s, case, ctx.settings, ctx.progress, ctx.inspected)
    facts = settlement.case_facts_of(ctx.s, case, ctx.settings, ctx.now, assessment)
    return [assessment_reply(case.id, assessment, facts)]


def _money(value: str | None, currency: str) -> str:
    return "—" if value is None else format_money(Decimal(value), currency)


def _points(v: float) -> str:
    return f"{v:.0f}"


def score_words(who: str, before: float | None, after: float | None, worst: float | None = None) -> str:
    """One side's score before and after an outcome, in words (never an arrow from nothing)."""
    role = role_name(who)
    if before is None and after is None:
        return _("the {role} has no score yet and still has none", role=role)
    if after is None:
        return _("the {role}'s score ({before}) depends on the moderator's decision", role=role, before=_points(before))
    tail = (
        _(", or {worst} if the other side leaves negative feedback", worst=_points(worst))
        if worst not in (None, after)
        else ""
    )
    if before is None:
        return _("the {role}'s first score would be {after}", role=role, after=_points(after)) + tail
    if round(after) == round(before):
        return _("the {role}'s score stays at {before}", role=role, before=_points(before)) + tail
    return (
        _("the {role}'s score goes from {before} to {after}", role=role, before=_points(before), after=_points(after))
        + tail
    )


def counts_words(counts: bool | None) -> str:
    if counts is None:
        return _("counts in the freelancer's success score or not, as the moderator decides")
    return (
        _("counts in the freelancer's success score")
        if counts
        else _("does not count in the freelancer's success score")
    )


def feedback_words(fb: dict) -> str:
    allowed = fb.get("feedback_allowed") or {}
    may = [role_name(role) for role, ok in allowed.items() if ok]
    open_ = [role for role, ok in allowed.items() if ok is None]
    if may:
        text = _("{roles} may leave feedback", roles=replies.and_list(may))
    elif open_:
        text = _("who may leave feedback depends on the decision")
    else:
        text = _("nobody may leave feedback")
    public = fb.get("feedback_public")
    if public is None:
        shown = _("whether its text shows depends on the decision")
    else:
        shown = _("its text is public") if public else _("its text is hidden")
    return f"{text}; {shown}"


def effect_line(fb: dict) -> str:
    """One policy's verdict on an outcome, in words: the score, both sides' scores, feedback."""
    if fb.get("outcome") == Outcome.ESCALATE:
        return _(
            "Under the '{policy}' policy the moderator's decision sets both scores; it {counts}; {feedback}.",
            policy=fb["policy"],
            counts=counts_words(fb["counts_in_score"]),
            feedback=feedback_words(fb),
        )
    return _(
        "Under the '{policy}' policy it {counts}; {freelancer}; {client}; {feedback}.",
        policy=fb["policy"],
        counts=counts_words(fb["counts_in_score"]),
        freelancer=score_words(
            "freelancer",
            fb["freelancer_score_before"],
            fb["freelancer_score_after"],
            fb.get("freelancer_score_worst"),
        ),
        client=score_words("client", fb["client_score_before"], fb["client_score_after"], fb.get("client_score_worst")),
        feedback=feedback_words(fb),
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
        return _("scores as the moderator decides")
    if fb["counts_in_score"] is False:
        return _("freelancer's score: not counted")
    after, worst = fb["freelancer_score_after"], fb.get("freelancer_score_worst")
    if after is None:
        return _("freelancer's score: counts")
    risk = (
        " " + _("({worst} with negative feedback)", worst=_points(worst))
        if worst is not None and round(worst) != round(after)
        else ""
    )
    if fb["freelancer_score_before"] is None:
        return _("freelancer's score: counts, first score {after}", after=_points(after)) + risk
    return (
        _(
            "freelancer's score: counts, {before} to {after}",
            before=_points(fb["freelancer_score_before"]),
            after=_points(after),
        )
        + risk
    )


def proposal_line(p: dict, cur: str) -> tuple[str, str]:
    """One proposal as one line (a field): id and outcome; what each side ends with; the score."""
    name = replies.cap(replies.outcome_name(p["kind"], p["kind"]))
    order = p.get("change_order")
    if p["kind"] == Outcome.PARTIAL_REFUND and p.get("client_refund"):
        name = _("{outcome} of {amount}", outcome=name, amount=_money(p["client_refund"], cur))
    if order:
        if order["price"]:
            name += " " + _("(new work {price})", price=_money(order["price"], cur))
        else:
            name += " " + _("(new work to be quoted)")
    if p.get("money"):
        money = _(
            "client gets back {back}, freelancer nets {net}",
            back=_gets_back(p, cur),
            net=_money(p["freelancer_net"], cur),
        )
    else:
        lo, hi = p["money_range"]["freelancer_net"]
        money = _("freelancer nets {low} to {high}, as decided", low=_money(lo, cur), high=_money(hi, cur))
    return f"{p['id']} {name}", f"{money}; {score_effect(p['feedback'])}"


def proposals_reply(case, items: list[dict], headline: Text = "", chart: bytes | None = None) -> Reply:
    """The proposals for a chat screen: one line each, best first, then how to see why and act.
    The data keeps every figure and the full reasoning of each (`items`)."""
    cur = case.currency
    policy = items[0]["feedback"]["policy"] if items else ""
    compared = (items[0].get("comparison_policy") or {}).get("policy") if items else None
    lines = [render(headline)] if headline else []
    if compared:
        lines.append(
            _(
                "Best first. Scores under the '{policy}' policy ('{compared}' compared in the details). "
                "Why one fits, in full: /proposals <id>.",
                policy=policy,
                compared=compared,
            )
        )
    else:
        lines.append(
            _("Best first. Scores under the '{policy}' policy. Why one fits, in full: /proposals <id>.", policy=policy)
        )
    fields = [proposal_line(p, cur) for p in items]
    order = next((p for p in items if p.get("change_order") and not p["change_order"]["price"]), None)
    if order:
        lines.append(_("The freelancer prices the new work with /quote {id} <price>.", id=order["id"]))
    options = [Option(_("Accept {id}", id=p["id"]), f"/accept {p['id']}") for p in items]
    options += [Option(_("Why {id}?", id=p["id"]), f"/proposals {p['id']}") for p in items]
    data = {"type": ReplyKind.PROPOSALS, "case_id": case.id, "items": items}
    files = [OutFile("proposals.png", chart, "image/png")] if chart else []
    return Reply(
        text="\n".join(lines),
        title=_("Proposals for case {case_id}", case_id=case.id),
        fields=fields,
        options=options,
        attachments=files,
        data=data,
    )


BASIS_NAMES = {"per_unit": N_("per unit"), "quote": N_("quote"), "to_quote": N_("to quote")}


def proposal_detail(case, p: dict) -> Reply:
    """One proposal in full: money, both policies' effects, the change order, and why it fits."""
    cur = case.currency
    lines = [shown(p, "title") + "."]
    if p.get("money"):
        lines.append(replies.cap(replies.money_words(p["money"], cur)) + ".")
    elif p.get("money_range"):
        lo, hi = p["money_range"]["freelancer_net"]
        lines.append(
            _(
                "A moderator decides the money: the freelancer nets between {low} and {high}.",
                low=_money(lo, cur),
                high=_money(hi, cur),
            )
        )
    lines.append(effect_line(p["feedback"]))
    if p.get("comparison_policy"):
        lines.append(effect_line(p["comparison_policy"]))
    order = p.get("change_order")
    if order:
        basis = BASIS_NAMES.get(order["basis"])
        lines.append(
            _(
                "New work: {price} ({basis}).",
                price=_money(order["price"], cur),
                basis=_(basis) if basis else order["basis"].replace("_", " "),
            )
            if order["price"]
            else _("New work: to be quoted by the freelancer with /quote {id} <price>.", id=p["id"])
        )
    lines.append(_("Why: {rationale}", rationale=shown(p, "rationale")))
    options = [Option(_("Accept {id}", id=p["id"]), f"/accept {p['id']}"), Option(_("All proposals"), "/proposals")]
    return Reply(
        text="\n".join(lines),
        title=_("Proposal {id} on case {case_id}", id=p["id"], case_id=case.id),
        options=options,
        data={"type": ReplyKind.PROPOSAL, "case_id": case.id, "item": p},
    )


def changes_text(changes, items: list[dict], currency: str) -> str:
    """What a new round did to proposals the parties already saw, by id: nothing changes silently."""
    by_id = {i["id"]: i for i in items}
    lines = []
    for c in changes:
        name = replies.outcome_name(c.kind, c.kind)
        if c.what == ProposalChangeKind.UPDATED:
            item = by_id[c.id]
            order = item.get("change_order") or {}
            if "the price of the new work" in c.changed and order.get("price"):
                now = _("the new work is now priced at {price}", price=_money(order["price"], currency))
            else:
                now = _("the client now gets back {amount}", amount=_money(item["client_refund"], currency))
            if c.cleared:
                roles = replies.and_list([role_name(r) for r in c.cleared])
                lines.append(
                    _(
                        "{id} ({name}) is updated in place: {now}; the {roles}'s acceptance of the old terms is "
                        "cleared.",
                        id=c.id,
                        name=name,
                        now=now,
                        roles=roles,
                    )
                )
            else:
                lines.append(_("{id} ({name}) is updated in place: {now}.", id=c.id, name=name, now=now))
        elif c.what == ProposalChangeKind.WITHDRAWN:
            lines.append(_("{id} ({name}) is withdrawn: the facts no longer support it.", id=c.id, name=name))
        else:
            lines.append(_("{id} ({name}) is new.", id=c.id, name=name))
    return "\n".join(lines)


def assess_if_delivered(ctx: Ctx, case):
    return (
        settlement.case_assessment(ctx.s, case, ctx.settings, ctx.progress, ctx.inspected)
        if cases.deliveries(ctx.s, case)
        else None
    )


def proposals_round(ctx: Ctx, case, headline: Text, disputing: str | None, assessment) -> list[Reply]:
    """Rank the outcomes on the assessed facts, and tell both parties."""
    ranked, items, changes = settlement.make_proposals(
        ctx.s, ctx.actor, case, settings=ctx.settings, now=ctx.now, assessment=assessment, disputing=disputing
    )

    def heading() -> str:
        said = changes_text(changes, items, case.currency)
        text = render(headline)
        return f"{text}\n{said}" if text and said else text or said

    charts: dict[str, bytes] = {}  # drawn once per language its readers read

    def chart() -> bytes:
        lang = current_locale.get()
        if lang not in charts:
            charts[lang] = proposals_chart(ranked)
        return charts[lang]

    out = []
    if assessment is not None:
        out += ctx.to_parties(case, lambda: assessment_reply(case.id, assessment))
    out += ctx.to_parties(case, lambda: proposals_reply(case, items, heading(), chart()))
    return out


@command("dispute", N_("/dispute <reason>"), N_("open mediation: assessment and ranked proposals"), keys=("case",))
def dispute(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    cases.require_party(ctx.s, case, ctx.party, action=N_("open a dispute"))
    assessment = assess_if_delivered(ctx, case)  # the slow part, before anything is written
    role = settlement.open_dispute(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    headline = L_(
        "The {role} opened a dispute: {reason}\nHere is where the case stands and what could end it.",
        role=role_name(role),
        reason=cmd.text,
    )
    return proposals_round(ctx, case, headline, role, assessment)


@command(
    "quote",
    N_("/quote <proposal id> <price>"),
    N_("price a change order for new work (the freelancer)"),
    keys=("case",),
)
def quote(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    label = cmd.args[0] if cmd.args else ""
    cases.require_party(ctx.s, case, ctx.party, role=Role.FREELANCER, action=N_("quote a change order"))
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
    headline = L_("The freelancer quoted the new work for “{request}”.", request=request)
    return proposals_round(ctx, case, headline, None, assessment)


@command("proposals", N_("/proposals [id]"), N_("the current proposals; with an id, why that one fits"), keys=("case",))
def proposals(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    if cases.role_of(ctx.s, case, ctx.party) is None and not ctx.is_moderator():
        raise MediationError(
            "not_a_party",
            L_("Only the parties of case {case_id} and moderators can see its proposals.", case_id=case.id),
        )
    rows = settlement.current_proposals(ctx.s, case)
    if not rows:
        raise MediationError(
            "no_proposals",
            L_("There are no proposals on case {case_id}: /dispute <reason> makes them.", case_id=case.id),
            hint="dispute",
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
        raise MediationError(
            "bad_argument", L_("{name} must be a number from 0 to 100, got {value}", name=name, value=repr(text))
        ) from None
    if not 0 <= value <= 100:
        raise MediationError("bad_argument", L_("{name} must be from 0 to 100, got {value}", name=name, value=text))
    return value


@command(
    "feedback preview",
    N_("/feedback preview <outcome> [refund]"),
    N_("what an outcome does to money and scores (ad hoc: outcome=… amount=… score=…)"),
    keys=("outcome", "amount", "currency", "refund", "score", "client_score", "case"),
)
def feedback_preview_(ctx: Ctx, cmd: Command) -> list[Reply]:
    kv = cmd.kv
    outcome = (kv.get("outcome") or (cmd.args[0] if cmd.args else "")).lower()
    if not outcome:
        raise MediationError(
            "missing_argument",
            L_(
                "Usage: /feedback preview <outcome> in a case, or "
                "/feedback preview outcome=full_refund amount=88 [currency=USD] [score=92]"
            ),
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
        title = _("Feedback preview")
    else:
        case = ctx.case(cmd)
        cases.require_party(ctx.s, case, ctx.party, action=N_("preview its outcomes"))
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
        title = _("Feedback preview for case {case_id}", case_id=case.id)
    cur = data["currency"]
    fb = data["feedback"]
    lines = [shown(data, "explanation")]
    if data.get("money"):
        m = data["money"]
        lines.append(
            _(
                "Money: client refund {refund}, freelancer net {net}, fees {fees}.",
                refund=_money(m["client_refund"], cur),
                net=_money(m["freelancer_net"], cur),
                fees=_money(m["platform_total"], cur),
            )
        )
    lines.append(effect_line(fb))
    if data.get("comparison_policy"):
        lines.append(effect_line(data["comparison_policy"]))
    lines += [_("Assumed: {assumption}", assumption=render(a)) for a in stored(data, "assumptions") or []]
    return [Reply(text="\n".join(lines), title=title, data=data)]
