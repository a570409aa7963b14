"""Neutral replies built from domain data: wording lives here, markup lives in renderers."""

from __future__ import annotations

from decimal import Decimal

from mediation.currency import format_money
from mediation.timefmt import format_when
from mediation.vocabulary import Outcome, ReplyKind, is_local

from .commands import Registry
from .messages import Option, Reply

# outcomes as people say them
OUTCOME_NAMES: dict[str, str] = {
    Outcome.RELEASE_FULL: "release in full",
    Outcome.CHANGE_ORDER: "change order",
    Outcome.PARTIAL_REFUND: "partial refund",
    Outcome.FULL_REFUND: "full refund",
    Outcome.MUTUAL_CANCEL: "mutual cancellation",
    Outcome.ESCALATE: "a moderator decides",
}


def money_words(money: dict, currency: str) -> str:
    """Where the contract's money went, in the figures the chart draws: what the client gets back
    (the refund and any fees handed back), what the freelancer receives, the fees, and what the
    client paid in all."""
    m = lambda key: format_money(Decimal(money[key]), currency)
    back = Decimal(money["client_refund"]) + Decimal(money.get("client_fee_refund") or 0)
    return (
        f"the client gets back {format_money(back, currency)}, the freelancer receives {m('freelancer_net')} "
        f"after fees, fees {m('platform_total')}; the client paid {m('client_paid_total')} in all, "
        f"so it cost them {m('client_net_cost')}"
    )


CHAT_HAS_CASE = "chat_has_case"  # a second case in a chat that holds one: the answer offers the way out


def error(code: str, message: str, **extra) -> Reply:
    options = []
    if code == CHAT_HAS_CASE and extra.get("closable"):
        options.append(Option(f"Close case {extra['case_id']}", f"/case close {extra['case_id']}"))
    return Reply(
        text=message, options=options, data={"type": ReplyKind.ERROR, "code": code, "message": message, **extra}
    )


def unknown_command(line: str, registry: Registry) -> Reply:
    word = line.strip().split()[0] if line.strip() else "/"
    head = word[1:].split("@", 1)[0].lower()
    subs = sorted(w for w in registry.specs if w.startswith(head + " "))
    if subs:
        usage = "; ".join(registry.specs[w].usage for w in subs)
        return error("unknown_command", f"{word} needs one of: {usage}")
    return error("unknown_command", f"Unknown command {word}. Send /help for the list.")


OFFER_NOTE = (
    "Blind offers: send /offer only in a private chat with the bot; the other side never sees your amount "
    "while the offers have not met. When they meet, both sides are told the settled amount (the midpoint "
    "of the two offers), and that settled amount necessarily bounds the other side's offer: with your own "
    "offer it tells you where theirs was."
)


OUTCOME_HELP: dict[str, str] = {
    Outcome.RELEASE_FULL: "the freelancer is paid in full",
    Outcome.CHANGE_ORDER: "paid in full, and the new work asked for becomes a separate, optional order",
    Outcome.PARTIAL_REFUND: "part of the money goes back to the client (give the amount)",
    Outcome.FULL_REFUND: "all of the money goes back to the client",
    Outcome.MUTUAL_CANCEL: "both end the contract by agreement; the money goes back and nobody loses the dispute",
    Outcome.ESCALATE: "a moderator decides",
}


def help_notes(platform: str) -> list[str]:
    """How to say who, which case and which outcome: what the command list alone does not tell."""
    notes = [
        "Which case: a command is about your current case, the last one you opened or joined in this chat; "
        "add case=<id> to any case command for another one.",
        "Proposals keep their ids (P1, P2…) for the life of a case: /proposals P2 shows why, /accept P2 accepts it.",
        "Outcomes, by the names /feedback preview and moderators use:",
    ]
    notes += [f"  {outcome} — {meaning}" for outcome, meaning in OUTCOME_HELP.items()]
    if is_local(platform):
        notes.append(
            "Console: start a line with @name to speak as that user (any name without spaces, e.g. @Zoë); "
            "/as name speaks as name from then on."
        )
    return notes


def help_reply(registry: Registry, platform: str, is_moderator: bool) -> Reply:
    shown = [
        spec
        for spec in registry.specs.values()
        if not (spec.console_only and not is_local(platform)) and not (spec.moderator and not is_moderator)
    ]
    lines = [f"{spec.usage} — {spec.summary}" for spec in shown]
    lines.append(OFFER_NOTE)
    lines += help_notes(platform)
    return Reply(
        text="\n".join(lines),
        title="Mediator commands",
        data={"type": ReplyKind.HELP, "commands": [spec.word for spec in shown]},
    )


def case_amount(status: dict) -> str:
    """The case's amount (stored as exact text) in the reader's locale: "$88.00", "300,50 €"."""
    return format_money(Decimal(status["amount"]), status["currency"])


def case_created(status: dict, invite_code: str, invite_role: str) -> Reply:
    cid = status["case_id"]
    text = (
        f"Case {cid} opened: {status['title']} ({case_amount(status)}).\n"
        f"Invite the {invite_role} with this code: {invite_code}\n"
        f"They join with: /case join {invite_code} role={invite_role}\n"
        f"Next: propose the brief with /brief <text>."
    )
    return Reply(
        text=text,
        title=f"Case {cid}",
        data={
            "type": ReplyKind.CASE_CREATED,
            "case_id": cid,
            "invite_code": invite_code,
            "invite_role": invite_role,
            "copy": [f"/case join {invite_code} role={invite_role}", invite_code],
        },
    )


DRAFT_QUESTIONS = {
    "title": "Opening a case step by step (send “cancel” to stop). What is the contract about? Reply with a short title.",
    "amount": "How much is the contract for? Reply with the amount, e.g. 88, 88.50 or 300 EUR.",
    "currency": "In which currency? Press one, or reply with its three-letter code.",
    "role": "Which side of the contract are you?",
}
COMMON_CURRENCIES = ("USD", "EUR", "GBP")


def draft_question(step: str, answers: dict) -> Reply:
    """The next question of a case opened step by step; choices are buttons, the rest a reply."""
    options = []
    if step == "currency":
        options = [Option(code, f"/case new currency={code}") for code in COMMON_CURRENCIES]
    elif step == "role":
        options = [Option(f"I am the {role}", f"/case new role={role}") for role in ("client", "freelancer")]
    so_far = ", ".join(f"{k}: {v}" for k, v in answers.items() if v)
    return Reply(
        text=DRAFT_QUESTIONS[step] + (f"\n(So far: {so_far}.)" if so_far else ""),
        title="New case",
        options=options,
        data={"type": ReplyKind.CASE_DRAFT, "step": step, "answers": dict(answers), "expects_reply": not options},
    )


def invitation(status: dict, invite_code: str, invite_role: str) -> Reply:
    """What an invite opens, before anyone joins: the case, the side, and a button to join as it."""
    cid = status["case_id"]
    return Reply(
        text=f"You are invited to case {cid}: {status['title']} ({case_amount(status)}), "
        f"as the {invite_role}. Join to see the brief and take part.",
        title=f"Invitation to case {cid}",
        options=[Option(f"Join as the {invite_role}", f"/case join {invite_code} role={invite_role}")],
        data={"type": ReplyKind.INVITATION, "case_id": cid, "invite_role": invite_role},
    )


def case_status(status: dict, headline: str | None = None) -> Reply:
    parties = status["parties"]
    who = ", ".join(
        f"{role}: {p['name']} ({p['platform']})" if p else f"{role}: not joined yet" for role, p in parties.items()
    )
    brief = (
        "agreed (version {})".format(status["agreed_version"])
        if status["brief_agreed"]
        else "not agreed" + (f" (version {status['brief_version']} proposed)" if status["brief_version"] else "")
    )
    fields = [
        ("Status", status["status"]),
        ("Amount", case_amount(status)),
        ("Parties", who),
        ("Brief", brief),
        ("Deliveries", str(status["deliveries"])),
        ("Approvals", str(status["approvals"])),
        ("Requests", str(status["requests"])),
    ]
    fields += closing_fields(status.get("closing"), status["currency"])
    return Reply(
        text=headline or "", title=f"Case {status['case_id']}: {status['title']}", fields=fields, data=dict(status)
    )


def closing_fields(closing: dict | None, currency: str) -> list[tuple[str, str]]:
    """How a closed case ended: the outcome, the money, who may leave feedback, an appeal if any."""
    if not closing:
        return []
    name = OUTCOME_NAMES.get(closing["outcome"], closing["outcome"] or "no outcome")
    out = [("Outcome", f"{name} ({closing['how']})" if closing["outcome"] else closing["how"])]
    if closing.get("reason"):
        out.append(("Reasons", closing["reason"]))
    if closing.get("money"):
        out.append(("Money", money_words(closing["money"], currency)))
    allowed = closing.get("feedback_allowed")
    if allowed is not None:
        may = [role for role, ok in allowed.items() if ok]
        who = " and ".join(may) + " may" if may else "nobody may"
        out.append(("Feedback", f"{who} leave feedback on this contract (policy '{closing['policy']}')"))
    if closing.get("appeal_until"):
        out.append(
            (
                "Appeal",
                f"either party may appeal once, until {format_when(closing['appeal_until'])}: /appeal <reason>",
            )
        )
    return out


def notice(kind: str, text: str, options: list[Option] | None = None, /, **data) -> Reply:
    return Reply(text=text, options=options or [], data={"type": kind, **data})
