"""/scope, scope flags on /request, and scanning a client's plain messages for scope creep."""

from __future__ import annotations

import logging

from mediation import audit, cases, settlement
from mediation.errors import MediationError
from mediation.feedback import flag_feedback_threat
from mediation.models import Case
from mediation.vocabulary import ReplyKind, Role

from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply

log = logging.getLogger("mediator.scope")


def check(ctx: Ctx, brief: str, request: str) -> dict:
    if ctx.services.scope is None:
        raise MediationError("model_unavailable", "The scope model is not loaded in this process.")
    result = ctx.services.scope.check(brief, request)
    data = result.to_json(None)
    data.pop("id")
    data["notes"] = list(result.notes)
    data["extra_units"] = result.extra_units
    return data


def try_check(ctx: Ctx, brief: str, request: str) -> dict:
    """For recording requests: a model failure must not lose the request itself."""
    try:
        return check(ctx, brief, request)
    except Exception:
        log.exception("scope check failed; the request is kept without a verdict")
        return {}


def scope_reply(data: dict, request: str, case_id: str | None = None, propose: bool = False) -> Reply:
    verdict = "goes beyond the brief" if data["out_of_scope"] else "is within the brief"
    kind = data["kind"].replace("_", " ")
    lines = [f"This request {verdict} ({kind}, confidence {data['confidence']:.0%}).", data["reason"]]
    match = data.get("brief_match")
    if match and match[:40] not in data["reason"]:  # the reason usually quotes it already
        lines.append(f"Nearest brief clause: “{match}”")
    lines += [f"Note: {n}" for n in data.get("notes", [])]
    options = []
    if data["out_of_scope"] and propose:
        lines.append("This can be handled as a change order: the freelancer quotes it as new work.")
        options.append(Option("Make it a change order", f"/request {request}"[:300]))
    return Reply(
        text="\n".join(lines),
        title="Scope check",
        options=options,
        data={"type": ReplyKind.SCOPE, "case_id": case_id, "request": request, **data},
    )


def agreed_or_latest_brief(ctx: Ctx, case: Case) -> str:
    brief = cases.agreed_brief(ctx.s, case) or cases.latest_brief(ctx.s, case)
    if brief is None:
        raise MediationError("no_brief", f"Case {case.id} has no brief to check against yet: /brief <text>.")
    return brief.text


@command(
    "scope",
    "/scope <text>",
    "is a request inside the brief? (ad hoc: /scope brief=… request=…)",
    keys=("brief", "request", "case"),
)
def scope(ctx: Ctx, cmd: Command) -> list[Reply]:
    if "brief" in cmd.kv or "request" in cmd.kv:
        brief, request = cmd.kv.get("brief", ""), cmd.kv.get("request", "")
        if not brief.strip() or not request.strip():
            raise MediationError("missing_argument", "Usage: /scope brief=<the agreed brief> request=<the request>")
        return [scope_reply(check(ctx, brief, request), request)]
    if not cmd.text:
        raise MediationError("missing_argument", "Usage: /scope <request> in a case, or /scope brief=… request=…")
    case = ctx.case(cmd)
    role = cases.require_party(ctx.s, case, ctx.party, action="check requests against its brief")
    data = check(ctx, agreed_or_latest_brief(ctx, case), cmd.text)
    return [scope_reply(data, cmd.text, case.id, propose=role == "client")]


def read_signals(ctx: Ctx, text: str, role: str) -> list[tuple[str, object]]:
    """What a party's chat message says that matters to a dispute: (label, offer) pairs. A reader
    failure loses the signals, never the message."""
    reader = ctx.services.signals
    if reader is None:
        from nlp.conversation import ConversationReader

        reader = ctx.services.signals = ConversationReader()
    try:
        read = reader.classify([text], [role])[0]
    except Exception:
        log.exception("reading the message's signals failed; the message is kept without them")
        return []
    return [(label, read.offer if label == "offer_amount" else None) for label in sorted(read.labels)]


def scan_chat(ctx: Ctx) -> list[Reply]:
    """A plain message in a case chat: kept on the timeline; a client's ask beyond the brief is flagged.
    A message someone asked to have checked (`Incoming.requested_by`) is answered either way."""
    asked = ctx.incoming.requested_by
    binding_case = cases.bound_case(ctx.s, ctx.actor)
    if binding_case is None or binding_case.status in cases.CLOSED:
        return [_checked("This chat has no open case, so there is no brief to check against.")] if asked else []
    role = cases.role_of(ctx.s, binding_case, ctx.party)
    if role is None:
        return (
            [_checked(f"That message is not by a party of case {binding_case.id}; it was not checked.")]
            if asked
            else []
        )
    text = ctx.incoming.text.strip()
    threat = flag_feedback_threat(text) if ctx.settings.feedback.active().flag_threats else None
    brief = cases.agreed_brief(ctx.s, binding_case)
    scan = (
        not threat
        and role == Role.CLIENT
        and brief is not None
        and ctx.settings.nlp.scan_chat
        and ctx.services.scope is not None
    )
    data = try_check(ctx, brief.text, text) if scan else {}  # the model runs before anything is written
    said = read_signals(ctx, text, role)
    detail = {"role": role, "text": text} | ({"checked_by": asked} if asked else {})
    audit.record(ctx.s, binding_case.id, ctx.actor.tag, "message", detail, ctx.now)
    for label, offer in said:
        settlement.note_signal(ctx.s, ctx.actor, binding_case, role, label, text, offer, ctx.now)
    if threat:
        audit.record(
            ctx.s, binding_case.id, ctx.actor.tag, "feedback.threat", {"role": role, "reason": threat}, ctx.now
        )
        warn = lambda: Reply(
            text=f"Flagged: {threat}. Feedback may not be used as leverage for work outside the brief; "
            "this message is kept on the case file.",
            title="Feedback threat",
            data={"type": ReplyKind.FEEDBACK_THREAT, "case_id": binding_case.id, "reason": threat, "role": role},
        )
        return [warn()] + ctx.notify_others(binding_case, warn)
    if not data or not data["out_of_scope"] or data["confidence"] < ctx.settings.nlp.flag_threshold:
        if not asked:
            return []
        if role != Role.CLIENT:
            return [
                _checked(
                    "Only the client's messages are checked against the brief; this one is kept on the case file.",
                    binding_case.id,
                )
            ]
        if brief is None:
            return [
                _checked(
                    f"Case {binding_case.id} has no agreed brief yet; the message is kept on the case file.",
                    binding_case.id,
                )
            ]
        if not data:
            return [
                _checked("The scope model could not check that message; it is kept on the case file.", binding_case.id)
            ]
        reply = scope_reply(data, text, binding_case.id)
        reply.text += "\nNothing to flag; the message is kept on the case file."
        return [reply]
    req = cases.add_request(ctx.s, ctx.actor, ctx.party, binding_case, text, ctx.now, source="chat", scope=data)

    def make() -> Reply:
        reply = scope_reply(data, text, binding_case.id)
        reply.text = (
            f"Heads-up: {reply.text}\nKept as change request {req.id}: the freelancer can quote it as "
            "new work, and it appears as a change order in /dispute proposals."
        )
        reply.data["request_id"] = req.id
        return reply

    return [make()] + ctx.notify_others(binding_case, make)


def _checked(text: str, case_id: str | None = None) -> Reply:
    """The answer to a message someone asked to have checked, when there is no verdict to show."""
    return Reply(
        text=text, title="Scope check", data={"type": ReplyKind.NOTICE, "about": "message_check", "case_id": case_id}
    )
