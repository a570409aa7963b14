"""The Discord adapter: slash commands, buttons and messages in, embeds out, through discord.py.

Every interaction becomes one neutral `Incoming` whose text is the command line a person would type
(`/case new Logo amount=300 currency=EUR role=client`), so a command behaves exactly as on the console.
A button carries its command in its custom id and is dispatched by pattern, so buttons keep working
after a restart. Errors and private replies are ephemeral; no message ever pings anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands

from mediation import cases
from mediation.config import Settings
from mediation.i18n import _, choose, reading_as, render
from mediation.vocabulary import ReplyKind

from ...hub import Hub
from ...messages import Address, Attachment, Incoming, Option, Reply, Undeliverable
from ...render import Capabilities
from .commands import (
    CASE_FORM_ID,
    CHOICES_MAX,
    OUTCOMES,
    AppCommand,
    CaseForm,
    CatalogueTranslator,
    _case_choices,
    _form_values,
    _queue_choices,
    line,
    slash_commands,
)
from .render import BUTTON_PREFIX, CONTENT_MAX, NO_MENTIONS, CommandButton, _filename, message_payloads

log = logging.getLogger("mediator.discord")

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg"
# Command words whose answer can take seconds (the language model): the interaction is deferred at once.
SLOW_WORDS = frozenset({"scope", "assess", "dispute", "feedback", "proposals"})
# Command words that need a server: moderator roles exist only there.
GUILD_WORDS = frozenset({"mod"})


# ---------------------------------------------------------------- endpoints


def configure_endpoints(api_base_url: str, gateway_url: str) -> Callable[[], None]:
    """Point discord.py at other REST and gateway bases (a local fake in tests); returns the undo.

    discord.py keeps both as class attributes, so this is process-wide; nothing changes when the
    settings name Discord's own endpoints.
    """
    route, gateway = discord.http.Route, discord.gateway.DiscordWebSocket
    old_base, old_gateway = route.BASE, gateway.DEFAULT_GATEWAY
    if api_base_url and api_base_url.rstrip("/") != DEFAULT_API_BASE:
        route.BASE = api_base_url.rstrip("/")
    if gateway_url and gateway_url.rstrip("/") != DEFAULT_GATEWAY:
        gateway.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        route.BASE, gateway.DEFAULT_GATEWAY = old_base, old_gateway

    return restore


# ---------------------------------------------------------------- the adapter


@dataclass(frozen=True)
class _Place:
    """The chat a case command is taken to: a private thread (`created` by this command, or the case's own)."""

    id: str
    created: bool


def _invite_chats(store, code: list[str], platform: str) -> tuple[str, list[str]] | None:
    """`cases.invite_chats` in a worker thread."""
    if not code:
        return None
    with store.transaction() as s:
        return cases.invite_chats(s, code[0], platform)


def _locale_code(locale: object) -> str | None:
    """A discord.Locale (or its value) as a plain code, e.g. "es-ES"."""
    if locale is None:
        return None
    return str(getattr(locale, "value", locale))


def _escalation_title(case_id: str, appeal: bool) -> str:
    return _("Appeal: case {case_id}", case_id=case_id) if appeal else _("Escalation: case {case_id}", case_id=case_id)


class _Refused(Exception):
    """Input the adapter itself turns away (before the engine), with the message to show."""


class _Handlers:
    """The bot's side of a gateway client, sharded or not."""

    def __init__(self, adapter: DiscordAdapter, **options: Any):
        # Mediator never joins voice: the missing voice libraries are not worth a warning
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = options.pop("intents", None) or discord.Intents.none()
        intents.guilds = True
        if adapter.config.message_content:  # privileged: switched on in the Developer Portal too
            intents.guild_messages = True
            intents.message_content = True
        super().__init__(intents=intents, allowed_mentions=NO_MENTIONS, **options)
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = adapter.on_command_error

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CommandButton)
        await self.tree.set_translator(CatalogueTranslator())
        for cmd in self.adapter.commands():
            self.tree.add_command(cmd)
        await self.adapter.sync(self.tree)

    async def on_ready(self) -> None:
        self.adapter.ready.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.adapter.on_interaction(interaction)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)


class _Client(_Handlers, discord.Client):
    pass


class _ShardedClient(_Handlers, discord.AutoShardedClient):
    """`[discord] shard_count` set: this process runs `shard_ids` (all shards when empty)."""


class DiscordAdapter:
    platform = "discord"

    def __init__(self, hub: Hub, settings: Settings, token: str, **client_options: Any):
        self.hub = hub
        self.settings = settings
        self.config = settings.discord
        self.token = token
        self.max_file_bytes = int(settings.storage.max_attachment_mb * 1e6)
        self.caps = Capabilities(
            max_length=CONTENT_MAX,
            buttons=True,
            private_messages=True,
            markup="markdown",
            max_file_bytes=self.max_file_bytes,
        )
        self.client_options = client_options
        self.defer_after = 1.0  # seconds; Discord drops interactions not answered within 3
        self.ready_timeout = 60.0
        self.tmp_dir: str | None = None  # where attachments wait while the engine keeps them
        self.client: _Client | None = None
        self.ready = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._restore: Callable[[], None] | None = None
        self._handled: OrderedDict[int, None] = OrderedDict()
        self._escalations: OrderedDict[tuple, None] = OrderedDict()
        # case id -> the escalation post in the moderators' channel and what it said (to edit on a take)
        self._feed_posts: OrderedDict[str, tuple[discord.Message, Reply]] = OrderedDict()
        hub.attach(self)

    # -- lifecycle

    async def start(self) -> None:
        """Log in, sync the slash commands, connect the gateway; returns once ready."""
        self._restore = configure_endpoints(self.config.api_base_url, self.config.gateway_url)
        self.ready.clear()
        options = dict(self.client_options)
        if self.config.shard_count:
            options.setdefault("shard_count", self.config.shard_count)
            if self.config.shard_ids:
                options.setdefault("shard_ids", list(self.config.shard_ids))
            self.client = _ShardedClient(self, **options)
            log.info("Discord shards %s of %d", self.config.shard_ids or "all", self.config.shard_count)
        else:
            self.client = _Client(self, **options)
        self._task = asyncio.create_task(self.client.start(self.token), name="discord-client")
        waiter = asyncio.create_task(self.ready.wait())
        done, _pending = await asyncio.wait(
            {self._task, waiter}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            exc = self._task.exception() if self._task in done else None
            await self.stop()
            if isinstance(exc, discord.LoginFailure):
                raise RuntimeError("Discord refused the bot token (DISCORD_BOT_TOKEN).") from exc
            if exc is not None:
                raise RuntimeError(f"Could not connect to Discord: {exc}") from exc
            raise RuntimeError(f"Discord did not become ready within {self.ready_timeout:.0f} s.")
        self._task.add_done_callback(self._ended)
        log.info("connected to Discord as %s", self.client.user)

    def _ended(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the Discord connection ended: %s", task.exception())

    async def stop(self) -> None:
        if self.client is not None and not self.client.is_closed():
            await self.client.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=10)
        if self._restore is not None:
            self._restore()
            self._restore = None

    async def sync(self, tree: app_commands.CommandTree) -> None:
        """Register the slash commands (per guild when configured: shown at once; else globally), but
        only when their definition changed since the last sync: each sync is rate-limited by Discord,
        and a restart changes nothing. The definition's hash is kept in the database."""
        engine = self.hub.engine
        try:
            for gid in self.config.guild_ids or [None]:
                guild = discord.Object(id=gid) if gid is not None else None
                if guild is not None:
                    tree.copy_global_to(guild=guild)
                definition = [c.to_dict(tree) for c in tree.get_commands(guild=guild)]
                digest = hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()
                key = f"commands:{gid or 'global'}:{digest[:32]}"
                if await asyncio.to_thread(engine.done_before, self.platform, key):
                    log.info("slash commands for %s unchanged since the last sync", gid or "all servers")
                    continue
                await tree.sync(guild=guild)
                await asyncio.to_thread(engine.mark_done, self.platform, key)
        except discord.HTTPException as exc:
            log.warning("could not sync slash commands (%s); the ones already registered stay", exc)

    # -- platform events

    def _claim(self, interaction_id: int) -> bool:
        """True the first time an interaction is seen in this process (a replayed event is skipped)."""
        if interaction_id in self._handled:
            return False
        self._handled[interaction_id] = None
        while len(self._handled) > 4096:
            self._handled.popitem(last=False)
        return True

    def is_moderator(self, user: discord.abc.User) -> bool:
        if not isinstance(user, discord.Member):
            return False
        roles = {r.id for r in user.roles} | set(getattr(user, "_roles", ()))
        return bool(roles & set(self.config.moderator_role_ids))

    def incoming(
        self,
        interaction: discord.Interaction,
        text: str,
        attachments: list[Attachment] | None = None,
        chat_id: str | None = None,
    ) -> Incoming:
        user = interaction.user
        return Incoming(
            platform=self.platform,
            chat_id=chat_id or str(interaction.channel_id or user.id),
            user_id=str(user.id),
            user_name=getattr(user, "display_name", None) or user.name,
            text=text,
            attachments=attachments or [],
            private=interaction.guild_id is None,
            message_id=str(interaction.id),
            moderator=self.is_moderator(user),
            locale=_locale_code(interaction.locale),
        )

    async def _locale(self, interaction: discord.Interaction) -> str:
        """The language to answer an interaction in: the person's choice (/lang), else their client's."""
        hint = _locale_code(interaction.locale)
        try:
            reader = await asyncio.to_thread(self.hub.engine.reader, self.platform, str(interaction.user.id), hint)
            return reader.locale
        except Exception:
            log.exception("could not read the language of %s", interaction.user.id)
            return choose(hint)

    async def open_case_form(self, interaction: discord.Interaction) -> None:
        """`/case new` with no options: a form (a modal) asks for the title, amount, currency and side."""
        if not self._claim(interaction.id):
            return
        with reading_as(await self._locale(interaction)):
            form = CaseForm()
        await interaction.response.send_modal(form)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons this version does not know (an old message, a stale id) get a clear answer; a case
        form is read from the submission itself, so one opened before a restart still works."""
        if interaction.type is discord.InteractionType.component:
            custom_id = (interaction.data or {}).get("custom_id", "")
            if CommandButton.__discord_ui_compiled_template__.fullmatch(custom_id):
                return
        elif interaction.type is not discord.InteractionType.modal_submit:
            return
        with reading_as(await self._locale(interaction)):
            await self._on_interaction(interaction)

    async def _on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            data = interaction.data or {}
            if data.get("custom_id") == CASE_FORM_ID:
                values = _form_values(data)
                await self.run(
                    interaction,
                    line(
                        "case new",
                        values.get("title"),
                        amount=values.get("amount"),
                        currency=values.get("currency"),
                        role=(values.get("role") or "").lower(),
                    ),
                )
            return
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = (interaction.data or {}).get("custom_id", "")
        if CommandButton.__discord_ui_compiled_template__.fullmatch(custom_id):
            return
        if not self._claim(interaction.id):
            return
        await self._refuse(
            interaction, _("This button no longer works. Type the command instead (/help lists them)."), deferred=False
        )

    async def on_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.warning("slash command failed: %s", error)
        with reading_as(await self._locale(interaction)):
            text = _("That command could not be read; check its options and try again.")
            if isinstance(error, app_commands.CommandNotFound):
                text = _("That command is not available any more; /help lists the current ones.")
            elif isinstance(error, app_commands.NoPrivateMessage):
                text = _("That command works in a server channel, not in direct messages.")
            await self._refuse(interaction, text, deferred=interaction.response.is_done())

    async def run(
        self, interaction: discord.Interaction, text: str, files: list[discord.Attachment] | None = None
    ) -> None:
        """One interaction: the engine answers (deferring when it is slow), replies go out."""
        if not self._claim(interaction.id):
            return
        with reading_as(await self._locale(interaction)):
            await self._run(interaction, text, files)

    async def _run(
        self, interaction: discord.Interaction, text: str, files: list[discord.Attachment] | None = None
    ) -> None:
        started = time.perf_counter()
        word = text[1:].split(" ", 1)[0].lower()
        deferred = applied = False
        tmp: str | None = None
        try:
            if word in GUILD_WORDS and interaction.guild_id is None:
                raise _Refused(_("Moderation works in a server channel, where moderator roles are known."))
            files = [f for f in files or [] if f is not None]
            too_big = [f for f in files if f.size > self.max_file_bytes]
            if too_big:
                f = too_big[0]
                raise _Refused(
                    _(
                        "{name} is {size} MB; the limit is {limit} MB.",
                        name=f.filename,
                        size=f"{f.size / 1e6:.1f}",
                        limit=f"{self.max_file_bytes / 1e6:.1f}",
                    )
                )
            if files or word in SLOW_WORDS:
                deferred = await self._defer(interaction)
            attachments = []
            if files:
                tmp = tempfile.mkdtemp(prefix="mediator-discord-", dir=self.tmp_dir)
                attachments = await self._download(files, Path(tmp))
            place = await self._case_place(interaction, text)
            incoming = self.incoming(interaction, text, attachments, place.id if place else None)
            task = asyncio.create_task(self.hub.dispatch(incoming))
            if not deferred:
                done, _pending = await asyncio.wait({task}, timeout=self.defer_after)
                if not done:
                    deferred = await self._defer(interaction)
            replies = await task
            applied = True
            note = await self._settle_place(interaction, place, replies) if place else None
            await self._answer(interaction, replies, deferred, note)
            if interaction.message is not None and interaction.message.author == interaction.client.user:
                for r in replies:  # a press on an escalation post: the post shows the take at once
                    cid = r.data.get("case_id")
                    if r.type in (ReplyKind.MOD_TAKEN, ReplyKind.MOD_RELEASED) and cid:
                        known = self._feed_posts.get(cid)
                        if known is None or known[0].id != interaction.message.id:  # else edited already
                            await self._refresh_escalation(cid, r, pressed=interaction.message)
                        break
        except _Refused as exc:
            await self._refuse(interaction, str(exc), deferred)
        except Exception:
            log.exception("interaction %s (%s) failed", interaction.id, word)
            text = (
                _("Your command was applied, but showing the answer failed; /case status shows where things stand.")
                if applied
                else _("Something went wrong on our side; nothing was changed. Please try again.")
            )
            await self._refuse(interaction, text, deferred)
        finally:
            if tmp:  # off the event loop: a delivery may be many megabytes
                await asyncio.to_thread(shutil.rmtree, tmp, ignore_errors=True)
            log.debug("interaction %s (%s) answered in %.3f s", interaction.id, word, time.perf_counter() - started)

    # -- a private thread per case

    async def _case_place(self, interaction: discord.Interaction, text: str) -> _Place | None:
        """Where `/case new` or `/case join` typed in a server channel takes the case: a private thread
        of its own (the one the case has here already, for a join). None: the command runs where it
        was typed (threads off, a thread or a DM already, any other command)."""
        words = text.split()
        channel = interaction.channel
        if (
            not self.config.case_threads
            or words[:2] not in (["/case", "new"], ["/case", "join"])
            or not isinstance(channel, discord.TextChannel)
        ):
            return None
        if words[1] == "new" and not all(f" {k}=" in text for k in ("amount", "currency", "role")):
            return None  # incomplete: the engine says what is missing, here
        if words[1] == "join":
            found = await asyncio.to_thread(_invite_chats, self.hub.engine.store, words[2:3], self.platform)
            if found is None:
                return None  # a wrong code: the engine refuses it (and counts it) in this channel
            title, chats = found
            here = [c for c in chats if c != str(channel.id)]
            if here:
                return _Place(here[0], created=False)
        else:
            title = " ".join(w for w in words[2:] if "=" not in w)
        try:
            thread = await channel.create_thread(
                name=_("Case: {title}", title=title)[:100] or _("Case"),
                type=discord.ChannelType.private_thread,
                invitable=False,
            )
        except discord.HTTPException as exc:
            log.warning("could not open a private thread in %s (%s); the case stays in the channel", channel.id, exc)
            return None
        return _Place(str(thread.id), created=True)

    async def _settle_place(self, interaction: discord.Interaction, place: _Place, replies: list[Reply]) -> str:
        """After the command: the person (and the listed moderators, for a new case) join the thread, or a
        thread that came to nothing goes; errors are shown where the command was typed."""
        assert self.client is not None
        here = Address(self.platform, place.id)
        for r in replies:
            if r.type == ReplyKind.ERROR and r.to == here:
                r.to = Address(self.platform, str(interaction.channel_id))
        done = any(r.type in (ReplyKind.CASE_CREATED, ReplyKind.CASE_STATUS) for r in replies)
        if not done:
            if place.created:
                with contextlib.suppress(discord.HTTPException):
                    await self.client.http.delete_channel(int(place.id), reason="the case was not opened")
            return ""
        people = [str(interaction.user.id)]
        if place.created:
            people += [m for m in self.settings.moderators.get(self.platform, []) if m not in people]
        for uid in people:
            try:
                await self.client.http.add_user_to_thread(int(place.id), int(uid))
            except discord.HTTPException as exc:
                log.warning("could not add %s to the case thread %s: %s", uid, place.id, exc)
        return _("The case has its own private thread: {thread}", thread=f"<#{place.id}>")

    def message_incoming(
        self, message: discord.Message, requested_by: str | None = None, locale: str | None = None
    ) -> Incoming:
        """A plain message as its author's words; one id per message, so it is scanned once however it
        arrives (the gateway, or someone's "Check against brief")."""
        author = message.author
        return Incoming(
            platform=self.platform,
            chat_id=str(message.channel.id),
            user_id=str(author.id),
            user_name=getattr(author, "display_name", None) or author.name,
            text=message.content,
            private=False,
            message_id=f"msg:{message.id}",
            moderator=self.is_moderator(author),
            requested_by=requested_by,
            # a channel message carries no language of its own: the server's (an asker's client, for a check)
            locale=locale or _locale_code(getattr(message.guild, "preferred_locale", None)),
        )

    @staticmethod
    def _scannable(message: discord.Message) -> str | None:
        """Why a message is not read as a party's words, or None when it is."""
        if message.author.bot or message.webhook_id is not None:
            return _("That message is by a bot; only the parties' messages are checked.")
        if message.guild is None:
            return _("Messages are checked in a case's channel or thread, not in direct messages.")
        text = (message.content or "").strip()
        if not text:
            return _("That message has no text to check.")
        if text.startswith("/"):  # never run someone's words as their command
            return _("That message reads as a command, so it is not checked.")
        return None

    async def on_message(self, message: discord.Message) -> None:
        """With the message-content intent: each plain message in a case chat, as Telegram scans them."""
        if not self.config.message_content or self._scannable(message) is not None:
            return
        try:
            replies = await self.hub.dispatch(self.message_incoming(message))
            for r in replies:
                await self._post_reply(r, message)
        except Exception:
            log.exception("scanning message %s failed", message.id)

    async def _post_reply(self, reply: Reply, about: discord.Message) -> None:
        """A reply in the message's own channel answers it (a Discord reply); others go where addressed."""
        to = reply.to or Address(self.platform, str(about.channel.id))
        reference = about.to_reference(fail_if_not_exists=False) if to.chat_id == str(about.channel.id) else None
        await self._post(to, message_payloads(reply, self.max_file_bytes), reference=reference)

    async def check_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The message menu: the chosen message is checked as its author's words (no privileged intent
        needed: Discord hands the message to the interaction); a flag is posted in the channel, the
        asker gets the verdict privately."""
        if not self._claim(interaction.id):
            return
        with reading_as(await self._locale(interaction)):
            await self._check_message(interaction, message)

    async def _check_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        why_not = self._scannable(message)
        if why_not is not None:
            await self._refuse(interaction, why_not, deferred=False)
            return
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            asked = f"{self.platform}:{interaction.user.id}"
            replies = await self.hub.dispatch(
                self.message_incoming(message, requested_by=asked, locale=_locale_code(interaction.locale))
            )
            answer: list[Reply] = []
            for r in replies:
                flagged = r.type == ReplyKind.FEEDBACK_THREAT or "request_id" in r.data
                if flagged or (r.to is not None and r.to.chat_id != str(message.channel.id)):
                    await self._post_reply(r, message)
                if not flagged or not answer:
                    answer.append(r)
            if not replies:
                answer = [Reply(text=_("That message was checked already; its verdict is on the case file."))]
            payloads = [p for r in answer[:1] for p in message_payloads(r, self.max_file_bytes)]
            await interaction.edit_original_response(allowed_mentions=NO_MENTIONS, **payloads[0])
        except Exception:
            log.exception("checking message %s failed", message.id)
            await self._refuse(interaction, _("Something went wrong on our side; the message was not checked."), True)

    async def _defer(self, interaction: discord.Interaction) -> bool:
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()
            else:
                await interaction.response.defer(thinking=True)
            return True
        except discord.HTTPException as exc:
            log.warning("could not defer interaction %s: %s", interaction.id, exc)
            return interaction.response.is_done()

    async def _download(self, files: list[discord.Attachment], folder: Path) -> list[Attachment]:
        out = []
        for i, f in enumerate(files):
            path = folder / f"{i}-{_filename(f.filename)}"
            try:
                await f.save(path)
            except (discord.HTTPException, OSError) as exc:
                raise _Refused(_("Could not download {name}: {error}", name=f.filename, error=str(exc))) from None
            out.append(Attachment(name=f.filename, path=str(path), size=path.stat().st_size, mime=f.content_type or ""))
        return out

    # -- answering

    def _is_mine(self, interaction: discord.Interaction, to: Address) -> bool:
        if to.user_id is not None:
            return to.user_id == str(interaction.user.id)
        return to.chat_id == str(interaction.channel_id)

    async def _answer(
        self, interaction: discord.Interaction, replies: list[Reply], deferred: bool, note: str | None = None
    ) -> None:
        in_guild = interaction.guild_id is not None
        items: list[tuple[bool, dict, Reply]] = []
        seen: set[tuple] = set()
        for r in replies:
            to = r.to or Address(self.platform, str(interaction.channel_id))
            key = (to, r.title, r.text, r.type)
            if key in seen:  # two parties in one channel: the channel hears a notice once
                continue
            seen.add(key)
            if not self._is_mine(interaction, to):
                await self.send(r, to)
                continue
            ephemeral = in_guild and (r.private or r.type == "error" or to.user_id is not None)
            items += [(ephemeral, p, r) for p in message_payloads(r, self.max_file_bytes)]
        if note:  # where the conversation went: only the person who asked sees it
            items = [(True, {"content": note, "embeds": []}, Reply(text=note))] + items
        if not items:
            items = [(True, p, Reply(text="")) for p in message_payloads(Reply(text=_("That was already done.")))]
        await self._deliver(interaction, items, deferred)

    async def _deliver(
        self, interaction: discord.Interaction, items: list[tuple[bool, dict, Reply]], deferred: bool
    ) -> None:
        """The first message answers the interaction, the rest follow up; if the interaction has
        expired, public messages go to the channel and private ones to a direct message."""
        items = list(items)
        try:
            if not deferred:
                ephemeral, payload, _reply = items[0]
                await interaction.response.send_message(ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **payload)
                items.pop(0)
            elif interaction.type is not discord.InteractionType.component:
                public = next((i for i, it in enumerate(items) if not it[0]), None)
                if public is None:
                    await interaction.delete_original_response()
                else:
                    edit = dict(items[public][1])
                    if "files" in edit:
                        edit["attachments"] = edit.pop("files")
                    await interaction.edit_original_response(allowed_mentions=NO_MENTIONS, **edit)
                    items.pop(public)
            while items:
                ephemeral, payload, _reply = items[0]
                await interaction.followup.send(ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, wait=True, **payload)
                items.pop(0)
        except discord.HTTPException as exc:
            if getattr(exc, "code", 0) == 40060:  # already acknowledged: a redelivered event, answered before
                log.info("interaction %s was already answered", interaction.id)
                return
            log.warning("answering interaction %s failed (%s); posting instead", interaction.id, exc)
            for ephemeral, payload, _reply in items:
                to = (
                    Address(self.platform, str(interaction.user.id), str(interaction.user.id))
                    if ephemeral
                    else Address(self.platform, str(interaction.channel_id))
                )
                await self._post(to, [payload])

    async def _refuse(self, interaction: discord.Interaction, text: str, deferred: bool) -> None:
        reply = Reply(text=text, data={"type": ReplyKind.ERROR, "code": "refused", "message": text})
        items = [(interaction.guild_id is not None, p, reply) for p in message_payloads(reply)]
        try:
            await self._deliver(interaction, items, deferred or interaction.response.is_done())
        except Exception:
            log.exception("could not tell the user about a refused interaction")

    async def _target(self, to: Address) -> discord.abc.Messageable:
        assert self.client is not None
        if to.user_id is not None:
            return await self.client.create_dm(discord.Object(id=int(to.user_id)))
        return self.client.get_partial_messageable(int(to.chat_id))

    async def _post(
        self,
        to: Address,
        payloads: list[dict],
        keep_failures: bool = False,
        reference: discord.MessageReference | None = None,
    ) -> list[discord.Message]:
        """Post to a channel or DM. With `keep_failures`, a failure Discord may recover from (5xx,
        connection) is raised, so the hub keeps the notice in its outbox for later."""
        sent: list[discord.Message] = []
        try:
            target = await self._target(to)
            for i, p in enumerate(payloads):
                extra = {"reference": reference, "mention_author": False} if reference and i == 0 else {}
                sent.append(await target.send(allowed_mentions=NO_MENTIONS, **extra, **p))
        except ValueError:
            log.warning("not a Discord id: %s", to)
        except discord.Forbidden as exc:
            log.warning("no permission to post to %s (%s)", to, exc.text or exc.status)
        except (TimeoutError, discord.DiscordServerError, aiohttp.ClientError) as exc:
            if keep_failures:
                raise
            log.warning("posting to %s failed: %s", to, exc)
        except discord.HTTPException as exc:
            log.warning("posting to %s failed: %s", to, exc)
        return sent

    async def send(self, reply: Reply, to: Address) -> None:
        """A reply for a Discord chat or user that is not answering an interaction here. A refusal
        for good (the person does not take messages from the bot, the channel is gone) is raised as
        `Undeliverable`, so the outbox records it instead of retrying."""
        try:
            await self._post(to, message_payloads(reply, self.max_file_bytes), keep_failures=True)
        except discord.Forbidden as exc:
            if exc.code == 50007:  # cannot send messages to this user
                raise Undeliverable("blocked", "the person does not accept messages from the bot") from exc
            raise Undeliverable("gone", "the bot may no longer post in that channel") from exc
        except discord.NotFound as exc:
            raise Undeliverable("gone", "the channel no longer exists") from exc

    @property
    def connected(self) -> bool:
        return self.client is not None and not self.client.is_closed() and self.ready.is_set()

    async def show_progress(self, reply: Reply, to: Address) -> list[discord.Message]:
        """A "checking N files…" note, deleted once the answer is there (`clear_progress`)."""
        return await self._post(to, message_payloads(reply, self.max_file_bytes))

    async def clear_progress(self, handle: list[discord.Message]) -> None:
        for message in handle:
            try:
                await message.delete()
            except discord.HTTPException as exc:
                log.info("could not delete progress note %s: %s", message.id, exc)

    async def moderator_feed(self, reply: Reply) -> None:
        """The moderators' channel follows the queue, from any platform: each escalation or appeal is
        posted once with Take / Open buttons; a take disables Take on that post (a release enables it
        again); decisions are posted too."""
        case_id = reply.data.get("case_id")
        if not case_id or not self.config.mod_channel_id:
            return
        with reading_as(self._feed_locale()):
            await self._moderator_feed(reply, case_id)

    def _feed_locale(self) -> str:
        """The moderators' channel reads its server's language (English when it is not known)."""
        channel = self.client.get_channel(int(self.config.mod_channel_id)) if self.client else None
        return choose(_locale_code(getattr(getattr(channel, "guild", None), "preferred_locale", None)))

    async def _moderator_feed(self, reply: Reply, case_id: str) -> None:
        if reply.type in (ReplyKind.MOD_TAKEN, ReplyKind.MOD_RELEASED):
            await self._refresh_escalation(case_id, reply)
            return
        # the notice as the moderators' channel reads it, not as the chat where it happened did
        text = render(reply.wording) if reply.wording is not None else reply.text
        if reply.type == ReplyKind.DECISION:
            key: tuple = (reply.type, case_id, reply.data.get("reason"))
            post = Reply(
                text=text, title=_("Decided: case {case_id}", case_id=case_id), data={"type": ReplyKind.DECISION}
            )
        elif reply.type == ReplyKind.ESCALATED:
            key = (reply.type, case_id, reply.data.get("reason"))
            post = self._escalation_post(case_id, text, appeal=bool(reply.data.get("appeal")))
        else:
            return
        if key in self._escalations:
            return
        sent = await self._post(
            Address(self.platform, str(self.config.mod_channel_id)), message_payloads(post), keep_failures=True
        )
        self._escalations[key] = None  # only once it is posted
        if reply.type == ReplyKind.ESCALATED and sent:
            self._feed_posts[case_id] = (sent[-1], post)
        for cache in (self._escalations, self._feed_posts):
            while len(cache) > 1024:
                cache.popitem(last=False)  # type: ignore[attr-defined]

    @staticmethod
    def _escalation_post(case_id: str, text: str, appeal: bool = False, taken: str | None = None) -> Reply:
        options = [Option(_("Open case file"), f"/mod case {case_id}")]
        if not taken:
            options.insert(0, Option(_("Take"), f"/mod take {case_id}"))
        title = _escalation_title(case_id, appeal)
        return Reply(
            text=text + (f"\n\n{taken}" if taken else ""),
            title=_("{title} · taken", title=title) if taken else title,
            options=options,
            data={"type": ReplyKind.MOD_ESCALATION, "case_id": case_id},
        )

    async def _refresh_escalation(self, case_id: str, reply: Reply, pressed: discord.Message | None = None) -> None:
        """Edit the escalation post: taken (Take shown disabled, and who took it) or back in the queue."""
        with reading_as(self._feed_locale()):
            await self._refresh(case_id, reply, pressed)

    async def _refresh(self, case_id: str, reply: Reply, pressed: discord.Message | None) -> None:
        appeal_title = _escalation_title(case_id, True)
        known = self._feed_posts.get(case_id)
        targets: list[tuple[discord.Message | discord.PartialMessage, str, bool]] = []
        if pressed is not None:
            embed = pressed.embeds[0] if pressed.embeds else None
            base = (embed.description or "") if embed else ""
            targets.append(
                (pressed, base.split("\n\n")[0], ((embed.title or "") if embed else "").startswith(appeal_title))
            )
        if known is not None and (pressed is None or known[0].id != pressed.id):
            original = known[1]
            targets.append((known[0], original.text.split("\n\n")[0], (original.title or "").startswith(appeal_title)))
        taken = None
        if reply.type == ReplyKind.MOD_TAKEN:  # who took it, in the channel's language
            taken = render(reply.wording) if reply.wording is not None else reply.text
        for message, text, appeal in targets:
            post = self._escalation_post(case_id, text, appeal, taken)
            payload = message_payloads(post)[0]
            view = payload.get("view") or discord.ui.View(timeout=None)
            if taken:  # Take stays in place, greyed out: the post shows the case was taken
                view.add_item(
                    discord.ui.Button(
                        label=_("Take"), custom_id=BUTTON_PREFIX + f"/mod take {case_id}", disabled=True, row=0
                    )
                )
            try:
                await message.edit(embeds=payload["embeds"], view=view)
            except discord.HTTPException as exc:
                log.info("could not update the escalation post of case %s: %s", case_id, exc)

    # -- autocomplete

    async def case_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        rows = await asyncio.to_thread(
            _case_choices, self.hub.engine.store, self.platform, str(interaction.user.id), current
        )
        return [app_commands.Choice(name=n, value=v) for n, v in rows]

    async def queue_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        rows = await asyncio.to_thread(_queue_choices, self.hub.engine.store, self.hub.engine.clock.now(), current)
        return [app_commands.Choice(name=n, value=v) for n, v in rows]

    async def outcome_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        cur = (current or "").lower()
        return [app_commands.Choice(name=o.replace("_", " "), value=o) for o in OUTCOMES if cur in o][:CHOICES_MAX]

    # -- slash commands

    def commands(self) -> list[AppCommand]:
        """Every engine command as a slash command, the message menu, and the case form's command."""
        return slash_commands(self)


def build(hub: Hub, settings: Settings, token: str, **client_options: Any) -> DiscordAdapter:
    """The adapter `mediator run --platform discord` starts."""
    return DiscordAdapter(hub, settings, token, **client_options)
