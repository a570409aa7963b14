"""/scope, scope flags on /request, and scanning a client's plain messages for scope creep.

The scope model reads English only. A request in another language gets no verdict and no guessed
label: the reader is told, in their own language, that the check reads English only, and the rest
of the case goes on as usual (the request is kept, chat messages stay on the case file). The model's
reasons stay English; a reader of another language is told so beside them.
"""

from __future__ import annotations

import logging

from mediation import audit, cases, settlement
from mediation.errors import MediationError
from mediation.feedback import flag_feedback_threat
from mediation.i18n import DEFAULT_LOCALE, L_, N_, _, current_locale, en, render
from mediation.models import Case
from mediation.vocabulary import ReplyKind, Role

from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply

log = logging.getLogger("mediator.scope")

# the scope model's kinds (nlp.scope.KINDS) as a person reads them
KIND_NAMES = {
    "usage_rights": N_("usage rights"),
    "deadline": N_("deadline"),
    "extra_revisions": N_("extra revisions"),
    "platform_or_format": N_("platform or format"),
    "new_deliverable": N_("new deliverable"),
    "quantity": N_("quantity"),
    "attribute": N_("attribute"),
    "correction": N_("correction"),
    "revision_within_allowance": N_("revision within allowance"),
    "in_brief": N_("in brief"),
    "clarification": N_("clarification"),
    "subset": N_("subset"),
}
ENGLISH_ONLY = L_(
    "The scope check reads English only, and this request is not in English, so it gives no verdict on it "
    "(no label is guessed). Ask in English for a check; everything else in the case works as usual."
)
NOT_ENGLISH = "scope.not_english"  # the audit entry of the once-per-case note
REASONS_IN_ENGLISH = N_("The scope check reads English only; its reasons are given in English.")


def not_english(brief: str, request: str) -> bool:
    """Whether the brief or the request is clearly in a language other than English (too little
    text to tell counts as English: the model then says how sure it is)."""
    try:
        from nlp.language import is_english

        return is_english(brief, request) is False
    except Exception:
        log.exception("language identification failed; the text is checked as it is")
        return False


def check(ctx: Ctx, brief: str, request: str) -> dict:
    if ctx.services.scope is None:
        raise MediationError("model_unavailable", L_("The scope model is not loaded in this process."))
    result = ctx.services.scope.check(brief, request)
    data = result.to_json(None)
    data.pop("id")
    data["notes"] = list(result.notes)
    data["extra_units"] = result.extra_units
    return data


def try_check(ctx: Ctx, brief: str, request: str) -> dict:
    """For recording requests: a model failure must not lose the request itself, and a request in
    another language is recorded without a verdict."""
    if not_english(brief, request):
        return {}
    try:
        return check(ctx, brief, request)
    except Exception:
        log.exception("scope check failed; the request is kept without a verdict")
        return {}


def english_only_reply(request: str, case_id: str | None = None) -> Reply:
    """The answer to a request the scope model cannot read: no verdict, no label."""
    return Reply(
        text=render(ENGLISH_ONLY),
        title=_("Scope check"),
        data={
            "type": ReplyKind.SCOPE,
            "case_id": case_id,
            "request": request,
            "out_of_scope": None,
            "confidence": None,
            "kind": None,
            "brief_match": None,
            "reason": en(ENGLISH_ONLY),
            "english": False,
        },
    )


def scope_reply(data: dict, request: str, case_id: str | None = None, propose: bool = False) -> Reply:
    kind = _(KIND_NAMES[data["kind"]]) if data["kind"] in KIND_NAMES else data["kind"].replace("_", " ")
    if data["out_of_scope"]:
        head = _(
            "This request goes beyond the brief ({kind}, confidence {confidence}).",
            kind=kind,
            confidence=f"{data['confidence']:.0%}",
        )
    else:
        head = _(
            "This request is within the brief ({kind}, confidence {confidence}).",
            kind=kind,
            confidence=f"{data['confidence']:.0%}",
        )
    lines = [head, data["reason"]]
    match = data.get("brief_match")
    if match and match[:40] not in data["reason"]:  # the reason usually quotes it already
        lines.append(_("Nearest brief clause: “{clause}”", clause=match))
    lines += [_("Note: {note}", note=n) for n in data.get("notes", [])]
    if current_locale.get() != DEFAULT_LOCALE:
        lines.append(_(REASONS_IN_ENGLISH))
    options = []
    if data["out_of_scope"] and propose:
        lines.append(_("This can be handled as a change order: the freelancer quotes it as new work."))
        options.append(Option(_("Make it a change order"), f"/request {request}"[:300]))
    return Reply(
        text="\n".join(lines),
        title=_("Scope check"),
        options=options,
        data={"type": ReplyKind.SCOPE, "case_id": case_id, "request": request, **data},
    )


def agreed_or_latest_brief(ctx: Ctx, case: Case) -> str:
    brief = cases.agreed_brief(ctx.s, case) or cases.latest_brief(ctx.s, case)
    if brief is None:
        raise MediationError(
            "no_brief", L_("Case {case_id} has no brief to check against yet: /brief <text>.", case_id=case.id)
        )
    return brief.text


@command(
    "scope",
    N_("/scope <text>"),
    N_("is a request inside the brief? (ad hoc: /scope brief=… request=…)"),
    keys=("brief", "request", "case"),
)
def scope(ctx: Ctx, cmd: Command) -> list[Reply]:
    if "brief" in cmd.kv or "request" in cmd.kv:
        brief, request = cmd.kv.get("brief", ""), cmd.kv.get("request", "")
        if not brief.strip() or not request.strip():
            raise MediationError("missing_argument", L_("Usage: /scope brief=<the agreed brief> request=<the request>"))
        if not_english(brief, request):
            return [english_only_reply(request)]
        return [scope_reply(check(ctx, brief, request), request)]
    if not cmd.text:
        raise MediationError("missing_argument", L_("Usage: /scope <request> in a case, or /scope brief=… request=…"))
    case = ctx.case(cmd)
    role = cases.require_party(ctx.s, case, ctx.party, action=N_("check requests against its brief"))
    brief = agreed_or_latest_brief(ctx, case)
    if not_english(brief, cmd.text):
        return [english_only_reply(cmd.text, case.id)]
    data = check(ctx, brief, cmd.text)
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
        return [_checked(_("This chat has no open case, so there is no brief to check against."))] if asked else []
    role = cases.role_of(ctx.s, binding_case, ctx.party)
    if role is None:
        return (
            [
                _checked(
                    _("That message is not by a party of case {case_id}; it was not checked.", case_id=binding_case.id)
                )
            ]
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
    foreign = scan and brief is not None and not_english(brief.text, text)
    data = try_check(ctx, brief.text, text) if scan and not foreign else {}  # the model runs before anything is written
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
            text=_(
                "Flagged: {reason}. Feedback may not be used as leverage for work outside the brief; "
                "this message is kept on the case file.",
                reason=_(threat),
            ),
            title=_("Feedback threat"),
            data={"type": ReplyKind.FEEDBACK_THREAT, "case_id": binding_case.id, "reason": en(threat), "role": role},
        )
        return ctx.to_parties(binding_case, warn)
    if foreign and not asked and not cases.has_entry(ctx.s, binding_case.id, NOT_ENGLISH):
        # said once per case: the client's messages in another language are kept, but not checked
        audit.record(ctx.s, binding_case.id, ctx.actor.tag, NOT_ENGLISH, {"role": role}, ctx.now)
        note = lambda: Reply(
            text=_(
                "The scope check reads English only, so the client's messages in other languages are kept on "
                "the case file but not checked against the brief (no label is guessed). /request records a "
                "change request in any language."
            ),
            title=_("Scope check"),
            data={"type": ReplyKind.NOTICE, "about": "english_only", "case_id": binding_case.id},
        )
        return ctx.to_parties(binding_case, note)
    if not data or not data["out_of_scope"] or data["confidence"] < ctx.settings.nlp.flag_threshold:
        if not asked:
            return []
        if role != Role.CLIENT:
            return [
                _checked(
                    _("Only the client's messages are checked against the brief; this one is kept on the case file."),
                    binding_case.id,
                )
            ]
        if brief is None:
            return [
                _checked(
                    _(
                        "Case {case_id} has no agreed brief yet; the message is kept on the case file.",
                        case_id=binding_case.id,
                    ),
                    binding_case.id,
                )
            ]
        if foreign:
            reply = english_only_reply(text, binding_case.id)
            reply.text += "\n" + _("The message is kept on the case file.")
            return [reply]
        if not data:
            return [
                _checked(
                    _("The scope model could not check that message; it is kept on the case file."), binding_case.id
                )
            ]
        reply = scope_reply(data, text, binding_case.id)
        reply.text += "\n" + _("Nothing to flag; the message is kept on the case file.")
        return [reply]
    req = cases.add_request(ctx.s, ctx.actor, ctx.party, binding_case, text, ctx.now, source="chat", scope=data)

    def make() -> Reply:
        reply = scope_reply(data, text, binding_case.id)
        reply.text = _(
            "Heads-up: {verdict}\nKept as change request {request_id}: the freelancer can quote it as "
            "new work, and it appears as a change order in /dispute proposals.",
            verdict=reply.text,
            request_id=req.id,
        )
        reply.data["request_id"] = req.id
        return reply

    return ctx.to_parties(binding_case, make)


def _checked(text: str, case_id: str | None = None) -> Reply:
    """The answer to a message someone asked to have checked, when there is no verdict to show."""
    return Reply(
        text=text, title=_("Scope check"), data={"type": ReplyKind.NOTICE, "about": "message_check", "case_id": case_id}
    )
