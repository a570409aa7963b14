"""/lang and /tz: the language and time zone the bot uses with you.

A choice is kept per platform identity in the database and beats what the platform says (Telegram's
language_code, Discord's locale, the console's --lang); `/lang auto` and `/tz auto` go back to it.
"""

from __future__ import annotations

from mediation import prefs
from mediation.i18n import LANGUAGE_NAMES, N_, SUPPORTED, _, reading_as
from mediation.vocabulary import ReplyKind

from ..commands import Command, command
from ..engine import Ctx
from ..messages import Option, Reply

RESET = ("auto", "default", "reset")


def _choices() -> str:
    return ", ".join(f"{code} ({LANGUAGE_NAMES[code]})" for code in SUPPORTED)


@command("lang", N_("/lang [code]"), N_("your language: en, es or ru (with no code: yours and the choices)"))
def lang(ctx: Ctx, cmd: Command) -> list[Reply]:
    platform, user = ctx.actor.platform, ctx.actor.user_id
    code = cmd.args[0] if cmd.args else ""
    if code:
        chosen = prefs.set_locale(ctx.s, platform, user, None if code.lower() in RESET else code, ctx.now)
        reader = prefs.reader(ctx.s, platform, user, ctx.incoming.locale)
        with reading_as(reader.locale):  # the answer is already in the new language
            if chosen is None:
                text = _("I follow your app's language again: {language}.", language=LANGUAGE_NAMES[reader.locale])
            else:
                text = _("From now on I write to you in {language}.", language=LANGUAGE_NAMES[chosen])
            return [
                Reply(
                    text=text,
                    data={"type": ReplyKind.PREFERENCES, "locale": reader.locale, "chosen": chosen},
                )
            ]
    row = prefs.get(ctx.s, platform, user)
    reader = prefs.reader(ctx.s, platform, user, ctx.incoming.locale)
    how = _("your choice") if row is not None and row.locale else _("from your app")
    return [
        Reply(
            text=_(
                "I write to you in {language} ({how}). Choices: {choices}. Change it with /lang <code>, "
                "or /lang auto to follow your app.",
                language=LANGUAGE_NAMES[reader.locale],
                how=how,
                choices=_choices(),
            ),
            options=[Option(LANGUAGE_NAMES[c], f"/lang {c}") for c in SUPPORTED if c != reader.locale],
            data={
                "type": ReplyKind.PREFERENCES,
                "locale": reader.locale,
                "chosen": row.locale if row else None,
                "choices": list(SUPPORTED),
            },
        )
    ]


@command("tz", N_("/tz [Area/City]"), N_("your time zone for dates and deadlines, e.g. /tz Europe/Madrid"))
def tz(ctx: Ctx, cmd: Command) -> list[Reply]:
    platform, user = ctx.actor.platform, ctx.actor.user_id
    name = cmd.text.strip()
    if name:
        zone = prefs.set_zone(ctx.s, platform, user, None if name.lower() in RESET else name, ctx.now)
        text = (
            _("Times are shown to you in {zone} from now on.", zone=zone)
            if zone
            else _("Times are shown to you in UTC again.")
        )
        return [Reply(text=text, data={"type": ReplyKind.PREFERENCES, "zone": zone or "UTC"})]
    row = prefs.get(ctx.s, platform, user)
    zone = row.zone if row is not None and row.zone else "UTC"
    return [
        Reply(
            text=_(
                "Times are shown to you in {zone}. Change it with /tz <Area/City>, e.g. /tz Europe/Madrid "
                "or /tz America/Bogota (/tz auto: UTC).",
                zone=zone,
            ),
            data={"type": ReplyKind.PREFERENCES, "zone": zone},
        )
    ]
