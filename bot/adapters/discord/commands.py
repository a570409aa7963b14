"""Discord's slash commands, the message menu and the case form: each builds the command line a
person would type (`/case new Logo amount=300 currency=EUR role=client`) and hands it to the adapter,
so a command behaves exactly as on the console."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands

from mediation import cases, moderation
from mediation.i18n import N_, SUPPORTED, Msg, _, in_locale, normalize
from mediation.vocabulary import DECISIONS

if TYPE_CHECKING:
    from .adapter import DiscordAdapter

AppCommand = app_commands.Command | app_commands.Group | app_commands.ContextMenu
CHECK_MENU = N_("Check against brief")  # the message menu (Apps → …) that checks one chosen message
CHOICES_MAX = 25
OUTCOMES = DECISIONS  # what a moderator may decide
GUILDS = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
# option types (module level: discord.py resolves string annotations in this module's globals)
Role = Literal["client", "freelancer"]
Text = app_commands.Range[str, 1, 2000]
LongText = app_commands.Range[str, 1, 4000]
Short = app_commands.Range[str, 1, 40]
Currency = app_commands.Range[str, 3, 3]
Score = app_commands.Range[float, 0, 100]
Language = Literal["en", "es", "ru", "auto"]


class CatalogueTranslator(app_commands.Translator):
    """Descriptions, option descriptions and the message menu's name in each language the bot
    speaks (Discord shows them in the member's client language); command names stay as they are,
    the same words on every platform."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContext
    ) -> str | None:
        lang = normalize(locale.value)
        if lang is None or lang == SUPPORTED[0]:
            return None
        where = app_commands.TranslationContextLocation
        described = context.location in (
            where.command_description,
            where.group_description,
            where.parameter_description,
        )
        named = context.location is where.command_name and isinstance(context.data, app_commands.ContextMenu)
        if not (described or named):
            return None
        text = in_locale(lang, Msg(string.message))
        return text if text != string.message else None


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def line(word: str, *free: Any, **kv: Any) -> str:
    """The typed command for a slash command's options: `/word free text key=value ...`."""
    parts = ["/" + word] + [_clean(f) for f in free if _clean(f)]
    parts += [f"{k}={_clean(v)}" for k, v in kv.items() if _clean(v)]
    return " ".join(parts)


def _case_choices(store, platform: str, user_id: str, current: str) -> list[tuple[str, str]]:
    """(label, case id) for the user's cases, open ones first; runs in a worker thread."""
    with store.transaction() as s:
        found = cases.cases_of_user(s, platform, user_id)
    return _filter(sorted(found, key=lambda r: (r[2] in cases.CLOSED, r[0])), current)


def _queue_choices(store, now, current: str) -> list[tuple[str, str]]:
    with store.transaction() as s:
        items = moderation.queue(s, now)
    return _filter([(i["case_id"], i["title"], i["status"]) for i in items], current)


def _filter(rows: list[tuple[str, str, str]], current: str) -> list[tuple[str, str]]:
    cur = (current or "").strip().lower()
    out = [
        (f"{cid} · {title} ({status})"[:100], cid)
        for cid, title, status in rows
        if not cur or cur in cid.lower() or cur in title.lower()
    ]
    return out[:CHOICES_MAX]


CASE_FORM_ID = "mediator:case-new"


class CaseForm(discord.ui.Modal):
    """The form `/case new` opens when no option was given. Its submission is handled by custom id
    (`DiscordAdapter.on_interaction`), not by this object, which a restart would lose."""

    def __init__(self) -> None:
        super().__init__(title=_("Open a case"), custom_id=CASE_FORM_ID, timeout=None)
        for field_id, label, placeholder, lo, hi in (
            ("title", N_("What the contract is about"), N_("8 product photos for Instagram"), 1, 120),
            ("amount", N_("Contract amount"), "88 or 88.50", 1, 20),
            ("currency", N_("Currency code"), "USD", 3, 3),
            ("role", N_("Your side: client or freelancer"), "freelancer", 6, 10),
        ):
            self.add_item(
                discord.ui.TextInput(
                    label=_(label), custom_id=field_id, placeholder=_(placeholder), min_length=lo, max_length=hi
                )
            )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Answered by the adapter (see the class docstring)."""


def _form_values(data: dict) -> dict[str, str]:
    """custom id -> value of every text input in a modal submission, however the rows nest them."""
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "custom_id" in node and "value" in node:
                out[node["custom_id"]] = str(node["value"])
            for key in ("components", "component"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data.get("components"))
    return out


def slash_commands(adapter: DiscordAdapter) -> list[AppCommand]:
    """Every engine command as a slash command whose options build the typed line."""
    run = adapter.run
    cases_ac, queue_ac, outcome_ac = adapter.case_choices, adapter.queue_choices, adapter.outcome_choices
    out: list[AppCommand] = []

    @app_commands.command(name="help", description=N_("What Mediator can do here"))
    async def help_(i: discord.Interaction) -> None:
        await run(i, "/help")

    out.append(help_)

    case = app_commands.Group(name="case", description=N_("Open, join and follow a case"))

    @case.command(name="new", description=N_("Open a case; you get its id and an invite code for the other party"))
    @app_commands.describe(
        title=N_("What the contract is about"),
        amount=N_("Contract amount, e.g. 88 or 88.50"),
        currency=N_("Currency code, e.g. USD or EUR"),
        role=N_("Your side in the contract"),
    )
    async def case_new(
        i: discord.Interaction,
        title: Text | None = None,
        amount: Short | None = None,
        currency: Currency | None = None,
        role: Role | None = None,
    ) -> None:
        if title is amount is currency is role is None:  # nothing given: a form asks for it all
            await adapter.open_case_form(i)
            return
        await run(i, line("case new", title, amount=amount, currency=currency, role=role))

    @case.command(name="join", description=N_("Join a case with its invite code"))
    @app_commands.describe(code=N_("The invite code, e.g. ABCDE-FGHJK"), role=N_("Your side in the contract"))
    async def case_join(i: discord.Interaction, code: Short, role: Role) -> None:
        await run(i, line("case join", code, role=role))

    @case.command(name="status", description=N_("Where a case stands"))
    @app_commands.describe(case=N_("The case id (default: this channel's case)"))
    @app_commands.autocomplete(case=cases_ac)
    async def case_status(i: discord.Interaction, case: str | None = None) -> None:
        await run(i, line("case status", case))

    @case.command(name="close", description=N_("Close a case before its brief is agreed (either party)"))
    @app_commands.describe(case=N_("The case id (default: this channel's case)"))
    @app_commands.autocomplete(case=cases_ac)
    async def case_close(i: discord.Interaction, case: str | None = None) -> None:
        await run(i, line("case close", case))

    out.append(case)

    brief = app_commands.Group(name="brief", description=N_("The agreed brief of a case"))

    @brief.command(name="propose", description=N_("Propose or amend the brief"))
    @app_commands.describe(
        text=N_("The brief: what is delivered, in what form, by when, for how much"),
        case=N_("The case id (default: this channel's case)"),
    )
    @app_commands.autocomplete(case=cases_ac)
    async def brief_propose(i: discord.Interaction, text: LongText, case: str | None = None) -> None:
        await run(i, line("brief", text, case=case))

    @brief.command(name="agree", description=N_("Accept the brief as it stands (both parties must)"))
    @app_commands.describe(case=N_("The case id (default: this channel's case)"))
    @app_commands.autocomplete(case=cases_ac)
    async def brief_agree(i: discord.Interaction, case: str | None = None) -> None:
        await run(i, line("brief agree", case=case))

    @brief.command(name="show", description=N_("Show the current brief"))
    @app_commands.describe(case=N_("The case id (default: this channel's case)"))
    @app_commands.autocomplete(case=cases_ac)
    async def brief_show(i: discord.Interaction, case: str | None = None) -> None:
        await run(i, line("brief", case=case))

    out.append(brief)

    @app_commands.command(name="deliver", description=N_("Hand in work (the freelancer), with files"))
    @app_commands.describe(
        note=N_("What you deliver"),
        file1=N_("A delivered file"),
        file2=N_("Another file"),
        file3=N_("Another file"),
        case=N_("The case id (default: this channel's case)"),
    )
    @app_commands.autocomplete(case=cases_ac)
    async def deliver(
        i: discord.Interaction,
        note: Text,
        file1: discord.Attachment | None = None,
        file2: discord.Attachment | None = None,
        file3: discord.Attachment | None = None,
        case: str | None = None,
    ) -> None:
        await run(i, line("deliver", note, case=case), [file1, file2, file3])

    out.append(deliver)

    def simple(word: str, description: str, arg: str, arg_description: str, short: bool = False):
        """A command with one free-text argument and an optional case."""

        async def handler(i: discord.Interaction, text: Text, case: str | None = None) -> None:
            await run(i, line(word, text, case=case))

        handler.__annotations__["text"] = "Short" if short else "Text"
        handler = app_commands.autocomplete(case=cases_ac)(handler)
        handler = app_commands.rename(text=arg)(handler)
        handler = app_commands.describe(text=arg_description, case=N_("The case id (default: this channel's case)"))(
            handler
        )
        return app_commands.command(name=word, description=description)(handler)

    out += [
        simple(
            "approve",
            N_("Approve a sample or milestone (the client); kept as evidence"),
            "what",
            N_("What you approve, e.g. 2 samples"),
        ),
        simple("request", N_("Ask for a change (the client)"), "text", N_("The change you would like")),
        simple("dispute", N_("Open mediation: assessment and ranked proposals"), "reason", N_("Why you dispute")),
        simple("escalate", N_("Send the case to a human moderator"), "reason", N_("Why a moderator is needed")),
        simple("accept", N_("Accept a proposal"), "proposal", N_("The proposal id"), short=True),
        simple("reject", N_("Reject a proposal"), "proposal", N_("The proposal id"), short=True),
        simple(
            "offer",
            N_("A blind offer, sent privately; revealed only when the offers cross"),
            "amount",
            N_("The amount you offer"),
            short=True,
        ),
        simple(
            "appeal",
            N_("Appeal a moderator's decision once, to a different moderator"),
            "reason",
            N_("Why the decision should be looked at again"),
        ),
    ]

    @app_commands.command(name="quote", description=N_("Price a change order for new work (the freelancer)"))
    @app_commands.describe(
        proposal=N_("The change order's proposal id"),
        price=N_("Your price for the new work"),
        case=N_("The case id (default: this channel's case)"),
    )
    @app_commands.autocomplete(case=cases_ac)
    async def quote(i: discord.Interaction, proposal: Short, price: Short, case: str | None = None) -> None:
        await run(i, line("quote", proposal, price, case=case))

    out.append(quote)

    def case_only(word: str, description: str):
        @app_commands.command(name=word, description=description)
        @app_commands.describe(case=N_("The case id (default: this channel's case)"))
        @app_commands.autocomplete(case=cases_ac)
        async def handler(i: discord.Interaction, case: str | None = None) -> None:
            await run(i, line(word, case=case))

        return handler

    out += [
        case_only("assess", N_("Deliveries against the brief, requirement by requirement")),
    ]

    @app_commands.command(name="proposals", description=N_("The current proposals; with an id, why that one fits"))
    @app_commands.describe(
        proposal=N_("A proposal id, e.g. P2, for its full reasoning"),
        case=N_("The case id (default: this channel's case)"),
    )
    @app_commands.autocomplete(case=cases_ac)
    async def proposals(i: discord.Interaction, proposal: Short | None = None, case: str | None = None) -> None:
        await run(i, line("proposals", proposal, case=case))

    out.append(proposals)

    @app_commands.command(name="scope", description=N_("Is a request inside the brief? In a case, or ad hoc"))
    @app_commands.describe(
        text=N_("The request, checked against this case's brief"),
        brief=N_("Ad hoc: the brief as agreed"),
        request=N_("Ad hoc: what is being asked now"),
        case=N_("The case id (default: this channel's case)"),
    )
    @app_commands.autocomplete(case=cases_ac)
    async def scope(
        i: discord.Interaction,
        text: Text | None = None,
        brief: Text | None = None,
        request: Text | None = None,
        case: str | None = None,
    ) -> None:
        if brief or request:
            await run(i, line("scope", brief=brief, request=request or text))
        else:
            await run(i, line("scope", text, case=case))

    out.append(scope)

    feedback = app_commands.Group(name="feedback", description=N_("Feedback and reputation"))

    @feedback.command(name="preview", description=N_("What an outcome does to money and scores"))
    @app_commands.describe(
        outcome=N_("The outcome"),
        amount=N_("Ad hoc: the contract amount (no case needed)"),
        currency=N_("Ad hoc: currency code (default USD)"),
        refund=N_("Refund for a partial refund"),
        score=N_("Ad hoc: the freelancer's score now, 0-100"),
        case=N_("The case id (default: this channel's case)"),
    )
    @app_commands.autocomplete(outcome=outcome_ac, case=cases_ac)
    async def feedback_preview(
        i: discord.Interaction,
        outcome: Short,
        amount: Short | None = None,
        currency: Currency | None = None,
        refund: Short | None = None,
        score: Score | None = None,
        case: str | None = None,
    ) -> None:
        await run(
            i,
            line(
                "feedback preview",
                outcome=outcome,
                amount=amount,
                currency=currency,
                refund=refund,
                score=None if score is None else f"{score:g}",
                case=case,
            ),
        )

    out.append(feedback)

    # hidden from members who cannot manage messages (server admins may change that under
    # Integrations); the engine still checks the moderator role on every command
    mod = app_commands.Group(
        name="mod",
        description=N_("Moderators: escalated cases"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    @mod.command(name="queue", description=N_("Escalated cases, oldest first"))
    async def mod_queue(i: discord.Interaction) -> None:
        await run(i, "/mod queue")

    @mod.command(name="take", description=N_("Take an escalated case"))
    @app_commands.describe(case=N_("The case id"))
    @app_commands.autocomplete(case=queue_ac)
    async def mod_take(i: discord.Interaction, case: Short) -> None:
        await run(i, line("mod take", case))

    @mod.command(name="case", description=N_("Read the case file"))
    @app_commands.describe(case=N_("The case id"))
    @app_commands.autocomplete(case=queue_ac)
    async def mod_case(i: discord.Interaction, case: Short) -> None:
        await run(i, line("mod case", case))

    @mod.command(name="decide", description=N_("Decide an escalated case you took"))
    @app_commands.describe(
        case=N_("The case id"),
        outcome=N_("The decision"),
        reason=N_("Why; both parties read it"),
        amount=N_("Refund to the client, for a partial refund"),
    )
    @app_commands.autocomplete(case=queue_ac, outcome=outcome_ac)
    async def mod_decide(
        i: discord.Interaction, case: Short, outcome: Short, reason: Text, amount: Short | None = None
    ) -> None:
        await run(i, line("mod decide", case, outcome, amount, reason=reason))

    @mod.command(name="release", description=N_("Give a case you took back to the queue"))
    @app_commands.describe(case=N_("The case id"))
    @app_commands.autocomplete(case=queue_ac)
    async def mod_release(i: discord.Interaction, case: Short) -> None:
        await run(i, line("mod release", case))

    @mod.command(name="transfer", description=N_("Hand a case you took to another moderator"))
    @app_commands.describe(case=N_("The case id"), moderator=N_("The other moderator"))
    @app_commands.autocomplete(case=queue_ac)
    async def mod_transfer(i: discord.Interaction, case: Short, moderator: discord.Member) -> None:
        await run(i, line("mod transfer", case, str(moderator.id)))

    @mod.command(name="note", description=N_("A private note on the case file"))
    @app_commands.describe(case=N_("The case id"), text=N_("The note (moderators only)"))
    @app_commands.autocomplete(case=queue_ac)
    async def mod_note(i: discord.Interaction, case: Short, text: Text) -> None:
        await run(i, line("mod note", case, text))

    out.append(mod)

    @app_commands.command(
        name="lang", description=N_("Your language: en, es or ru (with no code: yours and the choices)")
    )
    @app_commands.describe(code=N_("The language code"))
    async def lang(i: discord.Interaction, code: Language | None = None) -> None:
        await run(i, line("lang", code))

    @app_commands.command(name="tz", description=N_("Your time zone for dates and deadlines, e.g. Europe/Madrid"))
    @app_commands.describe(zone=N_("Area/City, e.g. Europe/Madrid or America/Bogota"))
    async def tz(i: discord.Interaction, zone: Short | None = None) -> None:
        await run(i, line("tz", zone))

    out += [lang, tz]

    async def check_against_brief(i: discord.Interaction, message: discord.Message) -> None:
        await adapter.check_message(i, message)

    out.append(app_commands.ContextMenu(name=CHECK_MENU, callback=check_against_brief, allowed_contexts=GUILDS))
    return out
