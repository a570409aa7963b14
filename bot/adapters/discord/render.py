"""Discord rendering: a neutral reply as embeds within every Discord limit, files, and buttons that
carry their command (and so outlive a restart). User text is markdown-escaped: it can never format,
link or mention."""

from __future__ import annotations

import io
import re
from typing import Any

import discord

from mediation.i18n import _, reading_as
from mediation.vocabulary import Platform, ReplyKind

from ...messages import Option, Reply
from ...render import escape, split
from ...syntax import for_platform

# Discord's limits (https://discord.com/developers/docs/resources/message)
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
FILES_PER_MESSAGE = 10
BUTTONS_MAX = 25
LABEL_MAX = 80
CUSTOM_ID_MAX = 100

COLOUR = 0x5865F2
ERROR_COLOUR = 0xED4245
NO_MENTIONS = discord.AllowedMentions.none()

BUTTON_PREFIX = "mediator:"


def _escaped_chunks(text: str, limit: int) -> list[str]:
    """Markdown-escaped pieces of at most `limit` characters; escaping happens after the cut, so an
    escape is never split from its character."""
    out = []
    for chunk in split(text, limit):
        if not chunk.strip():
            continue
        esc = escape(chunk, "markdown")
        if len(esc) <= limit:
            out.append(esc)
        else:  # escaping at most doubles the length
            out.extend(escape(c, "markdown") for c in split(chunk, limit // 2) if c.strip())
    return out


def _filename(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", name or "file").strip("._") or "file"
    return clean[:100]


class CommandButton(discord.ui.DynamicItem[discord.ui.Button], template=r"mediator:(?P<command>/.+)"):
    """A button whose custom id is the command it sends; matched by pattern, so it outlives restarts."""

    def __init__(self, command: str, label: str = "Go") -> None:
        super().__init__(
            discord.ui.Button(
                label=(label or command)[:LABEL_MAX],
                style=discord.ButtonStyle.primary,
                custom_id=BUTTON_PREFIX + command,
            )
        )
        self.command = command

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> CommandButton:
        return cls(match["command"], item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        adapter = getattr(interaction.client, "adapter", None)
        if adapter is not None:
            await adapter.run(interaction, self.command)


def _buttons(options: list[Option]) -> tuple[list[Option], list[Option]]:
    """Options that fit as buttons, and the rest (shown as text)."""
    fit, rest = [], []
    for o in options:
        ok = len(BUTTON_PREFIX + o.command) <= CUSTOM_ID_MAX and "\n" not in o.command and len(fit) < BUTTONS_MAX
        (fit if ok else rest).append(o)
    return fit, rest


def message_payloads(reply: Reply, max_file_bytes: int = 25 * 1024 * 1024) -> list[dict[str, Any]]:
    """`_payloads` in the reply's own language (what the adapter adds: "More options", notes)."""
    with reading_as(reply.locale):
        return _payloads(reply, max_file_bytes)


def _payloads(reply: Reply, max_file_bytes: int) -> list[dict[str, Any]]:
    """One reply as Discord messages: embeds within every limit, files, and a view of buttons.

    Each payload is keyword arguments for `send` (`embeds`, and `files`/`view` when present). Text is
    markdown-escaped, so user text can never format, link or mention. Commands the reply mentions
    read as Discord's slash commands (`/brief propose text:…`), the syntax its users type.
    """
    reply = for_platform(reply, Platform.DISCORD)
    colour = ERROR_COLOUR if reply.type == ReplyKind.ERROR else COLOUR
    title = escape(reply.title, "markdown")[:TITLE_MAX] if reply.title else None
    parts: list[tuple[str, str, str]] = [("d", "", c) for c in _escaped_chunks(reply.text or "", DESCRIPTION_MAX)]
    for name, value in reply.fields:
        n = escape(name or "", "markdown")[:FIELD_NAME_MAX] or "\u200b"
        for i, v in enumerate(_escaped_chunks(value or "", FIELD_VALUE_MAX) or ["\u200b"]):
            parts.append(("f", n if i == 0 else _("{name} (continued)", name=n)[:FIELD_NAME_MAX], v))
    fit, rest = _buttons(reply.options)
    if rest:
        listing = "\n".join(f"{o.label}: {o.command}" for o in rest)
        parts += [("f", _("More options"), c) for c in _escaped_chunks(listing, FIELD_VALUE_MAX)]

    embeds: list[discord.Embed] = []

    def fresh() -> discord.Embed:
        e = discord.Embed(colour=colour, title=title if not embeds else None)
        embeds.append(e)
        return e

    current: discord.Embed | None = None
    for kind, name, value in parts:
        if kind == "d":
            if current is None or current.description or current.fields:
                current = fresh()
            current.description = value
        else:
            if (
                current is None
                or len(current.fields) >= FIELDS_MAX
                or len(current) + len(name) + len(value) > EMBED_TOTAL_MAX
            ):
                current = fresh()
            current.add_field(name=name, value=value, inline=False)

    files: list[discord.File] = []
    image = None
    skipped = []
    for f in reply.attachments[:FILES_PER_MESSAGE]:
        if len(f.data) > max_file_bytes:
            skipped.append(f.name)
            continue
        name = _filename(f.name)
        files.append(discord.File(io.BytesIO(f.data), filename=name))
        if image is None and (f.mime or "").startswith("image/"):
            image = name
    if skipped:
        note = _("Not attached (too large): {names}", names=", ".join(skipped))[:2048]
        if current is None or len(current) + len(note) > EMBED_TOTAL_MAX:  # the footer counts towards 6,000
            current = fresh()
        current.set_footer(text=note)
    if not embeds and (image or files or fit):
        fresh()
    if not embeds:
        return []
    if image:
        embeds[-1].set_image(url=f"attachment://{image}")

    messages: list[list[discord.Embed]] = []
    size = 0
    for e in embeds:
        if not messages or len(messages[-1]) >= EMBEDS_PER_MESSAGE or size + len(e) > EMBED_TOTAL_MAX:
            messages.append([])
            size = 0
        messages[-1].append(e)
        size += len(e)

    payloads: list[dict[str, Any]] = [{"embeds": m} for m in messages]
    if files:
        payloads[-1]["files"] = files
    if fit:
        view = discord.ui.View(timeout=None)
        for o in fit:
            view.add_item(CommandButton(o.command, o.label))
        payloads[-1]["view"] = view
    return payloads
