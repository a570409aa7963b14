"""/deliver, /approve, /request, /escalate: the work and what each side says about it."""

from __future__ import annotations

from mediation import cases
from mediation.errors import MediationError
from mediation.i18n import L_, N_, _, render
from mediation.vocabulary import ReplyKind, Role

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply
from .scope import ENGLISH_ONLY, not_english, scope_reply, try_check


@command(
    "deliver",
    N_("/deliver <note> [attachments]"),
    N_("hand in work (the freelancer), with files"),
    keys=("case",),
    files=True,
)
def deliver(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    paths = list(cmd.files) + [a.path for a in ctx.incoming.attachments]
    names = [None] * len(cmd.files) + [a.name for a in ctx.incoming.attachments]
    cases.check_delivery(ctx.s, case, ctx.party, cmd.text, bool(paths))  # refused before any copying
    stored = [ctx.store_file(p, n) for p, n in zip(paths, names)]  # kept only if the delivery commits
    delivery = cases.deliver(ctx.s, ctx.actor, ctx.party, case, cmd.text, stored, ctx.now)
    files = [{"name": f.name, "size": f.size, "mime": f.mime, "sha256": f.sha256} for f in stored]
    links = cases.links_in(cmd.text)

    def words() -> str:
        """The delivery as one reader reads it."""
        listing = "".join(
            "\n- " + _("{name} ({size} bytes, sha256 {sha}…)", name=f["name"], size=f["size"], sha=f["sha256"][:12])
            for f in files
        )
        listing += "".join("\n- " + _("link: {url}", url=u) for u in links)
        text = _(
            "Delivery {delivery_id} received for case {case_id}: {note}",
            delivery_id=delivery.id,
            case_id=case.id,
            note=cmd.text or _("(no note)"),
        )
        text += listing
        if not files:
            text += "\n" + _(
                "No files came with it: what a link or a note holds cannot be checked against the brief from files, "
                "so the client's approval (or a person) confirms it."
            )
        return text

    def make() -> Reply:
        return replies.notice(
            ReplyKind.DELIVERY,
            words(),
            [Option(_("Approve"), "/approve delivery"), Option(_("Assess"), "/assess")],
            case_id=case.id,
            delivery_id=delivery.id,
            note=cmd.text,
            files=files,
            links=links,
        )

    return ctx.to_parties(case, make)


@command(
    "approve", N_("/approve <what>"), N_("approve a sample or milestone (the client); kept as evidence"), keys=("case",)
)
def approve(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    approval = cases.approve(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    text = L_(
        "The client approved: {what}. This is kept as evidence on case {case_id}.", what=approval.what, case_id=case.id
    )

    def make() -> Reply:
        return replies.notice(ReplyKind.APPROVAL, text, case_id=case.id, what=approval.what, approval_id=approval.id)

    return ctx.to_parties(case, make)


@command("request", N_("/request <text>"), N_("ask for a change (the client)"), keys=("case",))
def request(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    if not cmd.text:
        raise MediationError("missing_argument", L_("Say what you would like changed: /request <text>"))
    cases.require_party(ctx.s, case, ctx.party, role=Role.CLIENT, action=N_("raise a change request"))
    brief = cases.agreed_brief(ctx.s, case)
    foreign = brief is not None and ctx.services.scope is not None and not_english(brief.text, cmd.text)
    scope = try_check(ctx, brief.text, cmd.text) if brief and ctx.services.scope is not None else {}
    req = cases.add_request(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now, scope=scope)

    def words() -> str:
        text = _(
            "Change request {request_id} recorded on case {case_id}: {text}",
            request_id=req.id,
            case_id=case.id,
            text=req.text,
        )
        if scope:
            text += "\n" + scope_reply(scope, req.text, case.id).text
        elif foreign:
            text += "\n" + render(ENGLISH_ONLY)
        return text

    def make() -> Reply:
        return replies.notice(
            ReplyKind.REQUEST, words(), case_id=case.id, request_id=req.id, text=req.text, scope=scope or None
        )

    return ctx.to_parties(case, make)


@command("escalate", N_("/escalate <reason>"), N_("send the case to a human moderator"), keys=("case",))
def escalate(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    early = cases.is_early_escalation(case)
    esc = cases.escalate(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    if early:
        text = L_(
            "Case {case_id} is in the moderators' queue: a moderator is asked to help. Reason: {reason}\n"
            "No brief is agreed yet, so the case stays open meanwhile: you can still propose and agree the "
            "brief (/brief <text>, /brief agree) or settle; both parties will be told here.",
            case_id=case.id,
            reason=esc.reason,
        )
    else:
        text = L_(
            "Case {case_id} is now in the moderators' queue. Reason: {reason}\n"
            "A moderator will read the case file and decide; both parties will be told here.",
            case_id=case.id,
            reason=esc.reason,
        )

    def make() -> Reply:
        return replies.notice(ReplyKind.ESCALATED, text, case_id=case.id, reason=esc.reason, early=early)

    return ctx.to_parties(case, make)
