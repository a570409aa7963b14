"""Neutral replies built from domain data: wording lives here, markup lives in renderers."""

from __future__ import annotations

from decimal import Decimal

from mediation import vocabulary
from mediation.currency import format_money
from mediation.i18n import L_, N_, Join, Msg, Said, Text, _, en, render, shown
from mediation.timefmt import format_when
from mediation.vocabulary import Outcome, ReplyKind, is_local

from .commands import Registry
from .messages import Option, Reply

OUTCOME_NAMES = vocabulary.OUTCOME_NAMES  # the English names; `outcome_name` words one for the reader


def outcome_name(outcome: str | None, fallback: str = "") -> str:
    """An outcome as people say it, in the reader's language."""
    return render(vocabulary.outcome_name(outcome)) or fallback


def role_name(role: str | None) -> str:
    return render(vocabulary.role_name(role))


def and_list(items: list) -> str:
    """'a', 'a and b', 'a, b and c' in the reader's language."""
    words = [render(i) for i in items]
    if len(words) <= 1:
        return "".join(words)
    return _("{items} and {last}", items=", ".join(words[:-1]), last=words[-1])


def money_words(money: dict, currency: str) -> str:
    """Where the contract's money went, in the figures the chart draws: what the client gets back
    (the refund and any fees handed back), what the freelancer receives, the fees, and what the
    client paid in all (`cap()` it to start a sentence)."""
    m = lambda key: format_money(Decimal(money[key]), currency)
    back = Decimal(money["client_refund"]) + Decimal(money.get("client_fee_refund") or 0)
    return _(
        "the client gets back {back}, the freelancer receives {net} after fees, fees {fees}; "
        "the client paid {paid} in all, so it cost them {cost}",
        back=format_money(back, currency),
        net=m("freelancer_net"),
        fees=m("platform_total"),
        paid=m("client_paid_total"),
        cost=m("client_net_cost"),
    )


def cap(text: str) -> str:
    """The first letter upper-case (the rest as it is: currency codes, names)."""
    return text[:1].upper() + text[1:]


CHAT_HAS_CASE = "chat_has_case"  # a second case in a chat that holds one: the answer offers the way out


def error(code: str, message: Text, **extra) -> Reply:
    """A refusal: the text in the reader's language, the payload's `message` in English (programs
    read `code`; the payload is the same whoever reads the text)."""
    options = []
    if code == CHAT_HAS_CASE and extra.get("closable"):
        options.append(Option(_("Close case {case_id}", case_id=extra["case_id"]), f"/case close {extra['case_id']}"))
    return Reply(
        text=render(message),
        options=options,
        data={"type": ReplyKind.ERROR, "code": code, "message": en(message), **extra},
    )


def unknown_command(line: str, registry: Registry) -> Reply:
    word = line.strip().split()[0] if line.strip() else "/"
    head = word[1:].split("@", 1)[0].lower()
    subs = sorted(w for w in registry.specs if w.startswith(head + " "))
    if subs:
        usage = "; ".join(registry.specs[w].usage for w in subs)
        return error("unknown_command", L_("{word} needs one of: {usage}", word=word, usage=usage))
    return error("unknown_command", L_("Unknown command {word}. Send /help for the list.", word=word))


OFFER_NOTE = N_(
    "Blind offers: send /offer only in a private chat with the bot; the other side never sees your amount "
    "while the offers have not met. When they meet, both sides are told the settled amount (the midpoint "
    "of the two offers), and that settled amount necessarily bounds the other side's offer: with your own "
    "offer it tells you where theirs was."
)


OUTCOME_HELP: dict[str, str] = {
    Outcome.RELEASE_FULL: N_("the freelancer is paid in full"),
    Outcome.CHANGE_ORDER: N_("paid in full, and the new work asked for becomes a separate, optional order"),
    Outcome.PARTIAL_REFUND: N_("part of the money goes back to the client (give the amount)"),
    Outcome.FULL_REFUND: N_("all of the money goes back to the client"),
    Outcome.MUTUAL_CANCEL: N_("both end the contract by agreement; the money goes back and nobody loses the dispute"),
    Outcome.ESCALATE: N_("a moderator decides"),
}


def help_notes(platform: str) -> list[str]:
    """How to say who, which case and which outcome: what the command list alone does not tell."""
    notes = [
        _(
            "Which case: a command is about your current case, the last one you opened or joined in this chat; "
            "add case=<id> to any case command for another one."
        ),
        _("Proposals keep their ids (P1, P2…) for the life of a case: /proposals P2 shows why, /accept P2 accepts it."),
        _("Outcomes, by the names /feedback preview and moderators use:"),
    ]
    notes += [f"  {outcome} — {_(meaning)}" for outcome, meaning in OUTCOME_HELP.items()]
    notes.append(
        _(
            "Language: /lang shows yours and the choices, /lang es (or en, ru) changes it; "
            "/tz Europe/Madrid sets your time zone."
        )
    )
    if is_local(platform):
        notes.append(
            _(
                "Console: start a line with @name to speak as that user (any name without spaces, e.g. @Zoë); "
                "/as name speaks as name from then on."
            )
        )
    return notes


def help_reply(registry: Registry, platform: str, is_moderator: bool) -> Reply:
    shown = [
        spec
        for spec in registry.specs.values()
        if not (spec.console_only and not is_local(platform)) and not (spec.moderator and not is_moderator)
    ]
    lines = [f"{_(spec.usage)} — {_(spec.summary)}" for spec in shown]
    lines.append(_(OFFER_NOTE))
    lines += help_notes(platform)
    return Reply(
        text="\n".join(lines),
        title=_("Mediator commands"),
        data={"type": ReplyKind.HELP, "commands": [spec.word for spec in shown]},
    )


def case_amount(status: dict) -> str:
    """The case's amount (stored as exact text) in the reader's locale: "$88.00", "300,50 €"."""
    return format_money(Decimal(status["amount"]), status["currency"])


def case_created(status: dict, invite_code: str, invite_role: str) -> Reply:
    cid = status["case_id"]
    text = _(
        "Case {case_id} opened: {title} ({amount}).\n"
        "Invite the {role} with this code: {code}\n"
        "They join with: /case join {code} role={role_word}\n"
        "Next: propose the brief with /brief <text>.",
        case_id=cid,
        title=status["title"],
        amount=case_amount(status),
        role=role_name(invite_role),
        role_word=invite_role,
        code=invite_code,
    )
    return Reply(
        text=text,
        title=_("Case {case_id}", case_id=cid),
        data={
            "type": ReplyKind.CASE_CREATED,
            "case_id": cid,
            "invite_code": invite_code,
            "invite_role": invite_role,
            "copy": [f"/case join {invite_code} role={invite_role}", invite_code],
        },
    )


DRAFT_QUESTIONS = {
    "title": N_(
        "Opening a case step by step (send “cancel” to stop). What is the contract about? Reply with a short title."
    ),
    "amount": N_("How much is the contract for? Reply with the amount, e.g. 88, 88.50 or 300 EUR."),
    "currency": N_("In which currency? Press one, or reply with its three-letter code."),
    "role": N_("Which side of the contract are you?"),
}
DRAFT_ANSWER_NAMES = {"title": N_("title"), "amount": N_("amount"), "currency": N_("currency"), "role": N_("side")}
COMMON_CURRENCIES = ("USD", "EUR", "GBP")
CANCEL_WORDS = {"cancel", "stop", "cancelar", "parar", "отмена", "стоп"}


def draft_question(step: str, answers: dict) -> Reply:
    """The next question of a case opened step by step; choices are buttons, the rest a reply."""
    options = []
    if step == "currency":
        options = [Option(code, f"/case new currency={code}") for code in COMMON_CURRENCIES]
    elif step == "role":
        options = [
            Option(_("I am the {role}", role=role_name(role)), f"/case new role={role}")
            for role in ("client", "freelancer")
        ]
    so_far = ", ".join(
        f"{_(DRAFT_ANSWER_NAMES.get(k, k))}: {role_name(v) if k == 'role' else v}" for k, v in answers.items() if v
    )
    text = _(DRAFT_QUESTIONS[step])
    if so_far:
        text += "\n" + _("(So far: {answers}.)", answers=so_far)
    return Reply(
        text=text,
        title=_("New case"),
        options=options,
        data={"type": ReplyKind.CASE_DRAFT, "step": step, "answers": dict(answers), "expects_reply": not options},
    )


def invitation(status: dict, invite_code: str, invite_role: str) -> Reply:
    """What an invite opens, before anyone joins: the case, the side, and a button to join as it."""
    cid = status["case_id"]
    return Reply(
        text=_(
            "You are invited to case {case_id}: {title} ({amount}), as the {role}. "
            "Join to see the brief and take part.",
            case_id=cid,
            title=status["title"],
            amount=case_amount(status),
            role=role_name(invite_role),
        ),
        title=_("Invitation to case {case_id}", case_id=cid),
        options=[
            Option(_("Join as the {role}", role=role_name(invite_role)), f"/case join {invite_code} role={invite_role}")
        ],
        data={"type": ReplyKind.INVITATION, "case_id": cid, "invite_role": invite_role},
    )


def case_status(status: dict, headline: Text | None = None) -> Reply:
    parties = status["parties"]
    who = ", ".join(
        _("{role}: {name} ({platform})", role=role_name(role), name=p["name"], platform=p["platform"])
        if p
        else _("{role}: not joined yet", role=role_name(role))
        for role, p in parties.items()
    )
    if status["brief_agreed"]:
        brief = _("agreed (version {version})", version=status["agreed_version"])
    elif status["brief_version"]:
        brief = _("not agreed (version {version} proposed)", version=status["brief_version"])
    else:
        brief = _("not agreed")
    fields = [
        (_("Status"), render(vocabulary.state_name(status["status"]))),
        (_("Amount"), case_amount(status)),
        (_("Parties"), who),
        (_("Brief"), brief),
        (_("Deliveries"), str(status["deliveries"])),
        (_("Approvals"), str(status["approvals"])),
        (_("Requests"), str(status["requests"])),
    ]
    fields += closing_fields(status.get("closing"), status["currency"])
    return Reply(
        text=render(headline),
        title=_("Case {case_id}: {title}", case_id=status["case_id"], title=status["title"]),
        fields=fields,
        data=dict(status),
    )


def closing_fields(closing: dict | None, currency: str) -> list[tuple[str, str]]:
    """How a closed case ended: the outcome, the money, who may leave feedback, an appeal if any."""
    if not closing:
        return []
    how = shown(closing, "how")
    if closing["outcome"]:
        outcome = _("{outcome} ({how})", outcome=outcome_name(closing["outcome"]), how=how)
    else:
        outcome = how or _("no outcome")
    out = [(_("Outcome"), outcome)]
    if closing.get("reason"):
        out.append((_("Reasons"), closing["reason"]))
    if closing.get("money"):
        out.append((_("Money"), money_words(closing["money"], currency)))
    allowed = closing.get("feedback_allowed")
    if allowed is not None:
        may = [role_name(role) for role, ok in allowed.items() if ok]
        if may:
            who = _(
                "{roles} may leave feedback on this contract (policy '{policy}')",
                roles=and_list(may),
                policy=closing["policy"],
            )
        else:
            who = _("nobody may leave feedback on this contract (policy '{policy}')", policy=closing["policy"])
        out.append((_("Feedback"), who))
    if closing.get("appeal_until"):
        out.append(
            (
                _("Appeal"),
                _(
                    "either party may appeal once, until {until}: /appeal <reason>",
                    until=format_when(closing["appeal_until"]),
                ),
            )
        )
    return out


def notice(kind: str, text: Text, options: list[Option] | None = None, /, **data) -> Reply:
    # the message is kept beside its wording: a moderators' channel words it again in its own language
    wording = text if isinstance(text, (Msg, Join, Said)) else None
    return Reply(text=render(text), options=options or [], data={"type": kind, **data}, wording=wording)
