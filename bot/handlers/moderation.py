"""/mod queue|take|case|decide: moderators work escalated cases from a queue."""

from __future__ import annotations

from decimal import Decimal

from mediation import cases, export, moderation
from mediation.currency import format_money, parse_amount
from mediation.errors import MediationError
from mediation.timefmt import format_when
from mediation.vocabulary import EscalationStatus, ReplyKind

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Address, Option, OutFile, Reply


def _require_moderator(ctx: Ctx) -> None:
    if not ctx.is_moderator():
        raise MediationError("not_moderator", "Only moderators can use /mod commands.")


def _case_arg(ctx: Ctx, cmd: Command):
    if not cmd.args:
        raise MediationError("missing_argument", f"Usage: /{cmd.word} <case>")
    return cases.get_case(ctx.s, cmd.args[0])


@command("mod queue", "/mod queue", "escalated cases, oldest first", moderator=True)
def mod_queue(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    items = moderation.queue(ctx.s, ctx.now)
    lines = [
        f"{i['case_id']}  {i['age_days']}d  {format_money(Decimal(i['amount']), i['currency'])}  {i['status']}"
        f"{' by ' + i['moderator'] if i['moderator'] else ''}  {i['title']}: {i['reason']}"
        for i in items
    ]
    options = [
        Option(f"Take {i['case_id']}", f"/mod take {i['case_id']}")
        for i in items
        if i["status"] == EscalationStatus.QUEUED
    ]
    return [
        Reply(
            text="\n".join(lines) or "The queue is empty.",
            title="Moderation queue",
            options=options[:5],
            private=True,
            data={"type": ReplyKind.MOD_QUEUE, "items": items},
        )
    ]


@command("mod take", "/mod take <case>", "take an escalated case", moderator=True)
def mod_take(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    moderation.take(ctx.s, ctx.actor, case, ctx.now)
    text = f"A moderator ({ctx.actor.name}) is now handling case {case.id}."
    out = [
        replies.notice(ReplyKind.MOD_TAKEN, text, [Option("Open case file", f"/mod case {case.id}")], case_id=case.id)
    ]

    def make() -> Reply:
        return replies.notice(ReplyKind.MOD_TAKEN, text, case_id=case.id)

    return out + ctx.notify_others(case, make)


@command("mod case", "/mod case <case>", "read the case file", moderator=True)
def mod_case(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    moderation.require_not_party(ctx.s, case, ctx.actor, ctx.now)
    data = moderation.case_file(ctx.s, case, ctx.settings, ctx.now)
    lines = [f"Status: {case.status}; {format_money(Decimal(case.amount), case.currency)}"]
    for b in data["briefs"]:
        lines.append(f"Brief v{b['version']}{' (agreed)' if b['agreed'] else ''}: {b['text']}")
    for d in data["deliveries"]:
        lines.append(f"Delivery {d['id']} at {format_when(d['at'])}: {d['note']} ({len(d['files'])} files)")
    lines += [f"Approved: {a['what']}" for a in data["approvals"]]
    facts = data.get("facts") or {}
    lines += [f"Fact: {line}" for line in facts.get("summary", [])]
    if facts.get("judgment"):
        j = facts["judgment"]
        lines.append(f"The facts put first: {j['kind']} ({j['why']})")
    lines += [f"Request: {r['text']}" for r in data["requests"]]
    lines += [
        f"Proposal {p['id']} (round {p['round']}{', superseded' if p['superseded'] else ''}): {p['title']}"
        for p in data["proposals"]
    ]
    lines += [
        f"{v['role']} {'accepted' if v['accepted'] else 'rejected'} {v['proposal']}"
        f"{': ' + v['reason'] if v['reason'] and not v['accepted'] else ''}"
        for v in data["votes"]
    ]
    lines += [f"Note by {n['by']}: {n['text']}" for n in data["notes"]]
    if data["offers"] is not None:
        lines += [
            f"Offer round {o['round']} by the {o['role']}: {format_money(Decimal(o['amount']), case.currency)}"
            for o in data["offers"]
        ]
    lines.append("Timeline: " + "; ".join(f"{e['action']} by {e['actor']}" for e in data["timeline"]))
    document = export.to_markdown(export.case_document(ctx.s, case, ctx.settings, audience="moderator"))
    return [
        Reply(
            text="\n".join(lines),
            title=f"Case file {case.id}: {case.title}",
            attachments=[OutFile(f"case-{case.id}.md", document.encode(), "text/markdown")],
            private=True,
            data=data,
        )
    ]


@command(
    "mod decide",
    "/mod decide <case> <outcome> [amount] reason=<text>",
    "decide an escalated case you took",
    keys=("reason",),
    moderator=True,
)
def mod_decide(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    if len(cmd.args) < 2:
        raise MediationError("missing_argument", "Usage: /mod decide <case> <outcome> [amount] reason=<text>")
    case = cases.get_case(ctx.s, cmd.args[0])
    outcome = cmd.args[1].lower()
    amount = parse_amount(cmd.args[2], case.currency, max_amount=None) if len(cmd.args) > 2 else None
    decision = moderation.decide(
        ctx.s, ctx.actor, case, outcome=outcome, amount=amount, reason=cmd.kv.get("reason", ""), now=ctx.now
    )
    refund = format_money(Decimal(decision.amount), case.currency)
    effects = moderation.decision_effects(case, decision, ctx.settings)
    lines = [
        f"Moderator decision on case {case.id}: {outcome.replace('_', ' ')}; refund to the client {refund}.",
        f"Reasons: {decision.reason}",
    ]
    for e in effects:
        allowed = e["feedback_allowed"]
        lines.append(
            f"Under the {e['policy']} policy: the client {'may' if allowed['client'] else 'may not'} and "
            f"the freelancer {'may' if allowed['freelancer'] else 'may not'} leave feedback on this contract."
        )
    days = ctx.settings.negotiation.appeal_days
    if moderation.is_appeal(ctx.s, decision):
        lines.append("This decision was made on appeal; it is final.")
    elif days:
        lines.append(f"Either party may appeal once within {days:g} days: /appeal <reason>.")
    text = "\n".join(lines)

    def make() -> Reply:
        return ctx.sealed(
            case,
            replies.notice(
                ReplyKind.DECISION,
                text,
                case_id=case.id,
                outcome=outcome,
                client_refund=decision.amount,
                reason=decision.reason,
                feedback=effects,
            ),
        )

    return [make()] + ctx.notify_others(case, make)


@command("mod release", "/mod release <case>", "give a case you took back to the queue", moderator=True)
def mod_release(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    moderation.release(ctx.s, ctx.actor, case, ctx.now)
    return [replies.notice(ReplyKind.MOD_RELEASED, f"Case {case.id} is back in the queue.", case_id=case.id)]


@command(
    "mod transfer", "/mod transfer <case> <moderator id>", "hand a case you took to another moderator", moderator=True
)
def mod_transfer(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    if len(cmd.args) < 2:
        raise MediationError("missing_argument", "Usage: /mod transfer <case> <moderator id>")
    target = cmd.args[1]
    platform, _, uid = target.rpartition(":")
    platform = platform or ctx.actor.platform
    if uid not in ctx.settings.moderators.get(platform, []) and not moderation.has_moderated(ctx.s, platform, uid):
        raise MediationError(
            "not_moderator",
            f"{target} is not a moderator on {platform} (listed in the config, or one who has taken cases before).",
        )
    moderation.release(ctx.s, ctx.actor, case, ctx.now, to=(platform, uid))
    return [
        replies.notice(
            ReplyKind.MOD_TRANSFERRED,
            f"Case {case.id} is now with moderator {uid} ({platform}).",
            case_id=case.id,
            to=f"{platform}:{uid}",
        )
    ]


@command("mod note", "/mod note <case> <text>", "a private note on the case file", moderator=True)
def mod_note(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    moderation.add_note(ctx.s, ctx.actor, case, " ".join(cmd.args[1:]), ctx.now)
    reply = replies.notice(ReplyKind.MOD_NOTE, f"Note kept on case {case.id} (moderators only).", case_id=case.id)
    reply.private = True
    return [reply]


@command("appeal", "/appeal <reason>", "appeal a moderator's decision once, to a different moderator", keys=("case",))
def appeal(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    esc = moderation.appeal(
        ctx.s,
        ctx.actor,
        ctx.party,
        case,
        reason=cmd.text,
        appeal_days=ctx.settings.negotiation.appeal_days,
        now=ctx.now,
    )
    reviewers = moderation.appeal_moderators(ctx.s, case, ctx.settings.moderators)
    text = f"The decision on case {case.id} is appealed; a different moderator will decide. {esc.reason}"
    if not reviewers:
        text += (
            "\nNo other moderator is available yet: the appeal waits in the queue, and the moderators are told "
            "that another moderator is needed. You will both be told here when it is decided."
        )

    def make() -> Reply:
        return replies.notice(
            ReplyKind.ESCALATED, text, case_id=case.id, reason=esc.reason, appeal=True, reviewers=len(reviewers)
        )

    out = [make()] + ctx.notify_others(case, make)
    if not reviewers:  # the moderators hear it even where no moderators' channel is set up
        note = (
            f"Case {case.id} was appealed, and only the moderator who decided it is known: an appeal needs a "
            "different moderator. Add one under [moderators] in config.toml (or give someone the moderator role); "
            "the appeal waits in /mod queue."
        )
        for platform, ids in ctx.settings.moderators.items():
            for uid in ids:
                r = replies.notice(ReplyKind.NOTICE, note, case_id=case.id, appeal=True, needs_moderator=True)
                r.to, r.private = Address(platform, uid, uid), True
                out.append(r)
    return out
