"""/deliver, /approve, /request, /escalate: the work and what each side says about it."""

from __future__ import annotations

from mediation import cases
from mediation.errors import MediationError
from mediation.vocabulary import ReplyKind, Role

from .. import replies
from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply
from .scope import scope_reply, try_check


@command(
    "deliver", "/deliver <note> [attachments]", "hand in work (the freelancer), with files", keys=("case",), files=True
)
def deliver(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    paths = list(cmd.files) + [a.path for a in ctx.incoming.attachments]
    names = [None] * len(cmd.files) + [a.name for a in ctx.incoming.attachments]
    cases.check_delivery(ctx.s, case, ctx.party, cmd.text, bool(paths))  # refused before any copying
    stored = [ctx.store_file(p, n) for p, n in zip(paths, names)]  # kept only if the delivery commits
    delivery = cases.deliver(ctx.s, ctx.actor, ctx.party, case, cmd.text, stored, ctx.now)
    files = [{"name": f.name, "size": f.size, "mime": f.mime, "sha256": f.sha256} for f in stored]
    listing = "".join(f"\n- {f['name']} ({f['size']} bytes, sha256 {f['sha256'][:12]}…)" for f in files)
    links = cases.links_in(cmd.text)
    listing += "".join(f"\n- link: {u}" for u in links)
    text = f"Delivery {delivery.id} received for case {case.id}: {cmd.text or '(no note)'}{listing}"
    if not files:
        text += (
            "\nNo files came with it: what a link or a note holds cannot be checked against the brief from files, "
            "so the client's approval (or a person) confirms it."
        )

    def make() -> Reply:
        return replies.notice(
            ReplyKind.DELIVERY,
            text,
            [Option("Approve", "/approve delivery"), Option("Assess", "/assess")],
            case_id=case.id,
            delivery_id=delivery.id,
            note=cmd.text,
            files=files,
            links=links,
        )

    return [make()] + ctx.notify_others(case, make)


@command("approve", "/approve <what>", "approve a sample or milestone (the client); kept as evidence", keys=("case",))
def approve(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    approval = cases.approve(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    text = f"The client approved: {approval.what}. This is kept as evidence on case {case.id}."

    def make() -> Reply:
        return replies.notice(ReplyKind.APPROVAL, text, case_id=case.id, what=approval.what, approval_id=approval.id)

    return [make()] + ctx.notify_others(case, make)


@command("request", "/request <text>", "ask for a change (the client)", keys=("case",))
def request(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    if not cmd.text:
        raise MediationError("missing_argument", "Say what you would like changed: /request <text>")
    cases.require_party(ctx.s, case, ctx.party, role=Role.CLIENT, action="raise a change request")
    brief = cases.agreed_brief(ctx.s, case)
    scope = try_check(ctx, brief.text, cmd.text) if brief and ctx.services.scope is not None else {}
    req = cases.add_request(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now, scope=scope)
    text = f"Change request {req.id} recorded on case {case.id}: {req.text}"
    if scope:
        text += "\n" + scope_reply(scope, req.text, case.id).text

    def make() -> Reply:
        return replies.notice(
            ReplyKind.REQUEST, text, case_id=case.id, request_id=req.id, text=req.text, scope=scope or None
        )

    return [make()] + ctx.notify_others(case, make)


@command("escalate", "/escalate <reason>", "send the case to a human moderator", keys=("case",))
def escalate(ctx: Ctx, cmd: Command) -> list[Reply]:
    case = ctx.case(cmd)
    esc = cases.escalate(ctx.s, ctx.actor, ctx.party, case, cmd.text, ctx.now)
    text = (
        f"Case {case.id} is now in the moderators' queue. Reason: {esc.reason}\n"
        "A moderator will read the case file and decide; both parties will be told here."
    )

    def make() -> Reply:
        return replies.notice(ReplyKind.ESCALATED, text, case_id=case.id, reason=esc.reason)

    return [make()] + ctx.notify_others(case, make)
