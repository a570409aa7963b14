"""/mod queue|take|case|decide: moderators work escalated cases from a queue."""

from __future__ import annotations

from decimal import Decimal

from mediation import cases, export, moderation
from mediation.currency import format_money, parse_amount
from mediation.errors import MediationError
from mediation.i18n import L_, N_, Join, Money, Text, _, join, render, shown, stored
from mediation.timefmt import format_when
from mediation.vocabulary import EscalationStatus, Outcome, ReplyKind, role_name, state_name

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Address, Option, OutFile, Reply


def _require_moderator(ctx: Ctx) -> None:
    if not ctx.is_moderator():
        raise MediationError("not_moderator", L_("Only moderators can use /mod commands."))


def _case_arg(ctx: Ctx, cmd: Command):
    if not cmd.args:
        raise MediationError("missing_argument", L_("Usage: /{command} <case>", command=cmd.word))
    return cases.get_case(ctx.s, cmd.args[0])


@command("mod queue", N_("/mod queue"), N_("escalated cases, oldest first"), moderator=True)
def mod_queue(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    items = moderation.queue(ctx.s, ctx.now)
    lines = [
        _(
            "{case_id}  {days}d  {amount}  {status}  {title}: {reason}",
            case_id=i["case_id"],
            days=i["age_days"],
            amount=format_money(Decimal(i["amount"]), i["currency"]),
            status=_(
                "{status} by {moderator}", status=_(STATUS.get(i["status"], i["status"])), moderator=i["moderator"]
            )
            if i["moderator"]
            else _(STATUS.get(i["status"], i["status"])),
            title=i["title"],
            reason=shown(i, "reason"),
        )
        for i in items
    ]
    options = [
        Option(_("Take {case_id}", case_id=i["case_id"]), f"/mod take {i['case_id']}")
        for i in items
        if i["status"] == EscalationStatus.QUEUED
    ]
    return [
        Reply(
            text="\n".join(lines) or _("The queue is empty."),
            title=_("Moderation queue"),
            options=options[:5],
            private=True,
            data={"type": ReplyKind.MOD_QUEUE, "items": items},
        )
    ]


@command("mod take", N_("/mod take <case>"), N_("take an escalated case"), moderator=True)
def mod_take(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    moderation.take(ctx.s, ctx.actor, case, ctx.now)
    text = L_("A moderator ({name}) is now handling case {case_id}.", name=ctx.actor.name, case_id=case.id)
    out = [
        replies.notice(
            ReplyKind.MOD_TAKEN, text, [Option(_("Open case file"), f"/mod case {case.id}")], case_id=case.id
        )
    ]

    def make() -> Reply:
        return replies.notice(ReplyKind.MOD_TAKEN, text, case_id=case.id)

    return out + ctx.notify_others(case, make)


STATUS = {EscalationStatus.QUEUED: N_("queued"), EscalationStatus.TAKEN: N_("taken")}
# a moderator's decision as it is announced ("Moderator decision on case X: release full")
DECIDED_AS = {
    Outcome.RELEASE_FULL: N_("release full"),
    Outcome.CHANGE_ORDER: N_("change order"),
    Outcome.PARTIAL_REFUND: N_("partial refund"),
    Outcome.FULL_REFUND: N_("full refund"),
    Outcome.MUTUAL_CANCEL: N_("mutual cancel"),
}


@command("mod case", N_("/mod case <case>"), N_("read the case file"), moderator=True)
def mod_case(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    moderation.require_not_party(ctx.s, case, ctx.actor, ctx.now)
    data = moderation.case_file(ctx.s, case, ctx.settings, ctx.now)
    lines = [
        _(
            "Status: {status}; {amount}",
            status=render(state_name(case.status)),
            amount=format_money(Decimal(case.amount), case.currency),
        )
    ]
    for b in data["briefs"]:
        if b["agreed"]:
            lines.append(_("Brief v{version} (agreed): {text}", version=b["version"], text=b["text"]))
        else:
            lines.append(_("Brief v{version}: {text}", version=b["version"], text=b["text"]))
    for d in data["deliveries"]:
        lines.append(
            _(
                "Delivery {id} at {at}: {note} ({count} files)",
                id=d["id"],
                at=format_when(d["at"]),
                note=d["note"],
                count=len(d["files"]),
            )
        )
    lines += [_("Approved: {what}", what=a["what"]) for a in data["approvals"]]
    facts = data.get("facts") or {}
    lines += [_("Fact: {fact}", fact=render(line)) for line in stored(facts, "summary") or []]
    if facts.get("judgment"):
        j = facts["judgment"]
        lines.append(
            _(
                "The facts put first: {outcome} ({why})",
                outcome=replies.outcome_name(j["kind"], j["kind"]),
                why=shown(j, "why"),
            )
        )
    lines += [_("Request: {text}", text=r["text"]) for r in data["requests"]]
    for e in data["escalations"]:
        if e["appeal"]:
            lines.append(_("Appealed at {at}: {reason}", at=format_when(e["at"]), reason=shown(e, "reason")))
        else:
            lines.append(_("Escalated at {at}: {reason}", at=format_when(e["at"]), reason=shown(e, "reason")))
    for p in data["proposals"]:
        title = shown(p, "title")
        if p["superseded"]:
            lines.append(
                _("Proposal {id} (round {round}, superseded): {title}", id=p["id"], round=p["round"], title=title)
            )
        else:
            lines.append(_("Proposal {id} (round {round}): {title}", id=p["id"], round=p["round"], title=title))
    for v in data["votes"]:
        if v["accepted"]:
            lines.append(_("The {role} accepted {proposal}", role=role_name(v["role"]), proposal=v["proposal"]))
        elif v["reason"]:
            lines.append(
                _(
                    "The {role} rejected {proposal}: {reason}",
                    role=role_name(v["role"]),
                    proposal=v["proposal"],
                    reason=shown(v, "reason"),
                )
            )
        else:
            lines.append(_("The {role} rejected {proposal}", role=role_name(v["role"]), proposal=v["proposal"]))
    lines += [_("Note by {by}: {text}", by=n["by"], text=n["text"]) for n in data["notes"]]
    if data["offers"] is not None:
        lines += [
            _(
                "Offer round {round} by the {role}: {amount}",
                round=o["round"],
                role=role_name(o["role"]),
                amount=format_money(Decimal(o["amount"]), case.currency),
            )
            for o in data["offers"]
        ]
    lines.append(
        _(
            "Timeline: {events}",
            events="; ".join(_("{action} by {actor}", action=e["action"], actor=e["actor"]) for e in data["timeline"]),
        )
    )
    document = export.to_markdown(export.case_document(ctx.s, case, ctx.settings, audience="moderator"))
    return [
        Reply(
            text="\n".join(lines),
            title=_("Case file {case_id}: {title}", case_id=case.id, title=case.title),
            attachments=[OutFile(f"case-{case.id}.md", document.encode(), "text/markdown")],
            private=True,
            data=data,
        )
    ]


@command(
    "mod decide",
    N_("/mod decide <case> <outcome> [amount] reason=<text>"),
    N_("decide an escalated case you took"),
    keys=("reason",),
    moderator=True,
)
def mod_decide(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    if len(cmd.args) < 2:
        raise MediationError("missing_argument", L_("Usage: /mod decide <case> <outcome> [amount] reason=<text>"))
    case = cases.get_case(ctx.s, cmd.args[0])
    outcome = cmd.args[1].lower()
    amount = parse_amount(cmd.args[2], case.currency, max_amount=None) if len(cmd.args) > 2 else None
    decision = moderation.decide(
        ctx.s, ctx.actor, case, outcome=outcome, amount=amount, reason=cmd.kv.get("reason", ""), now=ctx.now
    )
    effects = moderation.decision_effects(case, decision, ctx.settings)
    days = ctx.settings.negotiation.appeal_days
    appealed = moderation.is_appeal(ctx.s, decision)

    def words() -> Join:
        """The decision, as a message worded for each reader (a moderators' channel too)."""
        lines: list[Text] = [
            L_(
                "Moderator decision on case {case_id}: {outcome}; refund to the client {refund}.",
                case_id=case.id,
                outcome=L_(DECIDED_AS[outcome]) if outcome in DECIDED_AS else outcome.replace("_", " "),
                refund=Money(Decimal(decision.amount), case.currency),
            ),
            L_("Reasons: {reason}", reason=decision.reason),
        ]
        for e in effects:
            allowed = e["feedback_allowed"]
            client = L_("may") if allowed["client"] else L_("may not")
            freelancer = L_("may") if allowed["freelancer"] else L_("may not")
            lines.append(
                L_(
                    "Under the {policy} policy: the client {client} and the freelancer {freelancer} leave feedback "
                    "on this contract.",
                    policy=e["policy"],
                    client=client,
                    freelancer=freelancer,
                )
            )
        if appealed:
            lines.append(L_("This decision was made on appeal; it is final."))
        elif days:
            lines.append(L_("Either party may appeal once within {days} days: /appeal <reason>.", days=f"{days:g}"))
        return join("\n", lines)

    def make() -> Reply:
        return ctx.sealed(
            case,
            replies.notice(
                ReplyKind.DECISION,
                words(),
                case_id=case.id,
                outcome=outcome,
                client_refund=decision.amount,
                reason=decision.reason,
                feedback=effects,
            ),
        )

    return ctx.to_parties(case, make)


@command("mod release", N_("/mod release <case>"), N_("give a case you took back to the queue"), moderator=True)
def mod_release(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    moderation.release(ctx.s, ctx.actor, case, ctx.now)
    return [
        replies.notice(
            ReplyKind.MOD_RELEASED, _("Case {case_id} is back in the queue.", case_id=case.id), case_id=case.id
        )
    ]


@command(
    "mod transfer",
    N_("/mod transfer <case> <moderator id>"),
    N_("hand a case you took to another moderator"),
    moderator=True,
)
def mod_transfer(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    if len(cmd.args) < 2:
        raise MediationError("missing_argument", L_("Usage: /mod transfer <case> <moderator id>"))
    target = cmd.args[1]
    platform, _sep, uid = target.rpartition(":")
    platform = platform or ctx.actor.platform
    if uid not in ctx.settings.moderators.get(platform, []) and not moderation.has_moderated(ctx.s, platform, uid):
        raise MediationError(
            "not_moderator",
            L_(
                "{target} is not a moderator on {platform} (listed in the config, or one who has taken cases before).",
                target=target,
                platform=platform,
            ),
        )
    moderation.release(ctx.s, ctx.actor, case, ctx.now, to=(platform, uid))
    return [
        replies.notice(
            ReplyKind.MOD_TRANSFERRED,
            _(
                "Case {case_id} is now with moderator {moderator} ({platform}).",
                case_id=case.id,
                moderator=uid,
                platform=platform,
            ),
            case_id=case.id,
            to=f"{platform}:{uid}",
        )
    ]


@command("mod note", N_("/mod note <case> <text>"), N_("a private note on the case file"), moderator=True)
def mod_note(ctx: Ctx, cmd: Command) -> list[Reply]:
    _require_moderator(ctx)
    case = _case_arg(ctx, cmd)
    moderation.add_note(ctx.s, ctx.actor, case, " ".join(cmd.args[1:]), ctx.now)
    reply = replies.notice(
        ReplyKind.MOD_NOTE, _("Note kept on case {case_id} (moderators only).", case_id=case.id), case_id=case.id
    )
    reply.private = True
    return [reply]


@command(
    "appeal", N_("/appeal <reason>"), N_("appeal a moderator's decision once, to a different moderator"), keys=("case",)
)
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
    text = L_(
        "The decision on case {case_id} is appealed; a different moderator will decide. {reason}",
        case_id=case.id,
        reason=cases.escalation_reason(esc),
    )
    if not reviewers:
        text += "\n"
        text += L_(
            "No other moderator is available yet: the appeal waits in the queue, and the moderators are told "
            "that another moderator is needed. You will both be told here when it is decided."
        )

    def make() -> Reply:
        return replies.notice(
            ReplyKind.ESCALATED, text, case_id=case.id, reason=esc.reason, appeal=True, reviewers=len(reviewers)
        )

    out = ctx.to_parties(case, make)
    if not reviewers:  # the moderators hear it even where no moderators' channel is set up
        note = L_(
            "Case {case_id} was appealed, and only the moderator who decided it is known: an appeal needs a "
            "different moderator. Add one under [moderators] in config.toml (or give someone the moderator role); "
            "the appeal waits in /mod queue.",
            case_id=case.id,
        )
        for platform, ids in ctx.settings.moderators.items():
            for uid in ids:
                to = Address(platform, uid, uid)
                r = ctx.worded_for(
                    case,
                    to,
                    lambda: replies.notice(ReplyKind.NOTICE, note, case_id=case.id, appeal=True, needs_moderator=True),
                )
                r.to, r.private = to, True
                out.append(r)
    return out
