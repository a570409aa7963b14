"""Command syntax as each platform's users type it.

Replies name commands the way the console and Telegram take them (`/brief <text>`,
`/accept P2`, `case=<id>`). Discord has slash commands with named options and sub-commands
(`/brief propose text:<text>`, `/accept proposal:P2`, the `case` option), so its adapter renders
every command a reply mentions in its own syntax. Buttons still carry the neutral command.

Errors carry a stable `code` and, where a command is the way forward, a `hint` key (`HINTS`): a
program reads the key, a person reads the command in the syntax of the platform in use.
"""

from __future__ import annotations

import dataclasses
import re

from mediation.i18n import _
from mediation.vocabulary import Platform

from .messages import Reply

# hint key -> the neutral command it points at
HINTS: dict[str, str] = {
    "case_new": "/case new <title> amount=<n> currency=<code> role=<client|freelancer>",
    "case_join": "/case join <invite-code> role=<client|freelancer>",
    "case_option": "case=<id>",
    "brief_propose": "/brief <text>",
    "brief_agree": "/brief agree",
    "deliver": "/deliver <note>",
    "dispute": "/dispute <reason>",
    "proposals": "/proposals",
    "accept": "/accept <id>",
    "reject": "/reject <id> [reason]",
    "quote": "/quote <id> <price>",
    "offer": "/offer <amount>",
    "escalate": "/escalate <reason>",
    "appeal": "/appeal <reason>",
    "help": "/help",
}


@dataclasses.dataclass(frozen=True)
class Slash:
    """A Discord slash command: its path and its options in the order the typed form gives them."""

    path: str
    options: tuple[str, ...] = ()


DISCORD: dict[str, Slash] = {
    "help": Slash("help"),
    "case new": Slash("case new", ("title",)),
    "case join": Slash("case join", ("code",)),
    "case status": Slash("case status", ("case",)),
    "brief agree": Slash("brief agree"),
    "brief show": Slash("brief show"),
    "brief": Slash("brief propose", ("text",)),
    "deliver": Slash("deliver", ("note",)),
    "approve": Slash("approve", ("what",)),
    "request": Slash("request", ("text",)),
    "scope": Slash("scope", ("text",)),
    "assess": Slash("assess"),
    "dispute": Slash("dispute", ("reason",)),
    "proposals": Slash("proposals", ("proposal",)),
    "accept": Slash("accept", ("proposal",)),
    "reject": Slash("reject", ("proposal",)),
    "quote": Slash("quote", ("proposal", "price")),
    "offer": Slash("offer", ("amount",)),
    "escalate": Slash("escalate", ("reason",)),
    "appeal": Slash("appeal", ("reason",)),
    "feedback preview": Slash("feedback preview", ("outcome",)),
    "mod queue": Slash("mod queue"),
    "mod take": Slash("mod take", ("case",)),
    "mod case": Slash("mod case", ("case",)),
    "mod release": Slash("mod release", ("case",)),
    "mod transfer": Slash("mod transfer", ("case", "moderator")),
    "mod note": Slash("mod note", ("case", "text")),
    "mod decide": Slash("mod decide", ("case", "outcome", "amount")),
}

# what may follow a command word as its argument in a reply: a placeholder, an optional part, a
# key=value, a proposal or case id, an invite code, an amount (never ordinary words of the sentence)
_ARG = (
    r"(?:<[^<>\n]{1,60}>|\[[^\[\]\n]{1,60}\]|[a-z_]+=(?:<[^<>\n]{1,60}>|[^\s,;.)]+)"
    r"|P\d+\b|C[A-Z0-9]{5}\b|[A-Z0-9]{4,6}-[A-Z0-9]{4,6}\b|\d+(?:\.\d+)?\b)"
)
_WORDS = "|".join(re.escape(w) for w in sorted(DISCORD, key=len, reverse=True))
_MENTION = re.compile(rf"(?<![\w/])/(?P<word>{_WORDS})\b(?P<args>(?: {_ARG})*)")
_CASE_OPTION = re.compile(r"(?<![\w/:])case=(?P<v><[^<>\n]{1,20}>|[A-Z0-9]{6}\b)")
_TOKEN = re.compile(_ARG)


def _discord_mention(m: re.Match) -> str:
    slash = DISCORD[m.group("word")]
    tokens = _TOKEN.findall(m.group("args"))
    named, free = [], []
    for t in tokens:
        key, eq, value = t.partition("=")
        if eq and not t.startswith(("<", "[")):
            named.append(f"{key}:{value}")
        else:
            free.append(t)
    if free and slash.options:
        # more values than options: the rest belongs to the last (free text) option
        head = free[: len(slash.options) - 1]
        tail = free[len(slash.options) - 1 :]
        values = head + ([" ".join(tail)] if tail else [])
        named = [f"{name}:{value}" for name, value in zip(slash.options, values)] + named
    return " ".join(["/" + slash.path, *named])


def discord_text(text: str) -> str:
    """A reply's text with every command it mentions in Discord's slash syntax."""
    if not text or ("/" not in text and "case=" not in text):
        return text
    text = _MENTION.sub(_discord_mention, text)
    return _CASE_OPTION.sub(lambda m: _("the case option ({option})", option=f"case:{m.group('v')}"), text)


def for_platform(reply: Reply, platform: str) -> Reply:
    """The reply as the platform's users read it: command mentions in their syntax."""
    if platform != Platform.DISCORD:
        return reply
    return dataclasses.replace(
        reply,
        text=discord_text(reply.text),
        title=discord_text(reply.title) if reply.title else reply.title,
        fields=[(name, discord_text(value)) for name, value in reply.fields],
    )


def hint_text(key: str, platform: str) -> str:
    """A hint key as the command the platform's users type."""
    neutral = HINTS[key]
    return discord_text(neutral) if platform == Platform.DISCORD else neutral
