"""The Telegram adapter (python-telegram-bot): updates in as neutral messages, replies out as HTML.

It stays thin: a message or a button press becomes the same typed command for the engine, and a
neutral reply becomes Telegram messages. No mediation rule lives here.

- Polling by default; webhook mode when `[telegram] webhook_url` is set. The webhook secret comes
  from TELEGRAM_WEBHOOK_SECRET and python-telegram-bot refuses (403) any request without it.
- A group is bound to one case by the engine (the chat id is the group id). Commands work in groups
  and private chats; `/start` (a private chat's first message) shows the help.
- Privacy mode: with BotFather's privacy mode on (the default), Telegram shows a bot only commands
  and replies to it in groups, never plain chat. Every command still works; only the engine's
  scanning of the client's plain messages for scope creep needs privacy mode off (or the bot as a
  group admin). The start-up log says which mode the bot is in.
- Buttons are inline keyboards whose callback data is the command itself (a press is the presser
  typing it, so a forged press can do nothing its sender could not type). Commands over Telegram's
  64-byte limit get a short key, kept in memory: after a restart such a button asks to type the
  command instead.
- Each update is applied once: updates seen recently are skipped here, and the engine refuses an
  event id it has already applied (update id, or callback query id), even across restarts.
- Updates of one chat are handled in order; different chats run side by side, so one group waiting
  out a flood limit (429) does not hold up the others.
- Photos, documents, audio and video whose caption is `/deliver ...` are downloaded (size-capped by
  `[storage] max_attachment_mb`) and handed to the engine as attachments; an album (several photos
  sent at once, the caption on one of them) is one delivery.
- Private replies (blind offers, case files) go to the user's private chat; a user who never
  started the bot gets, in the group, a link to start it, and none of the private content.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import re
import secrets
import shutil
import tempfile
import warnings
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor, ContextTypes, TypeHandler

from mediation.config import ENV_TELEGRAM_SECRET, Settings
from mediation.vocabulary import ReplyKind

from .. import replies
from ..hub import Hub
from ..messages import Address, Attachment, Incoming, OutFile, Reply
from ..render import Capabilities, render, split

log = logging.getLogger("mediator.telegram")

MESSAGE_LIMIT = 4096  # characters in one text message
CAPTION_LIMIT = 1024  # characters in a photo caption
CALLBACK_DATA_LIMIT = 64  # bytes of callback data
DOWNLOAD_LIMIT = 20 * 10**6  # the Bot API serves files up to 20 MB to bots
UPLOAD_LIMIT = 50 * 10**6
PHOTO_LIMIT = 10 * 10**6  # larger pictures go as documents
ALLOWED_UPDATES = ["message", "callback_query"]
FILE_COMMANDS = {"deliver"}  # commands whose message files become attachments
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_TAG = re.compile(r"<[^>]+>")
_INVITE = re.compile(r"[A-Z0-9]{5}-[A-Z0-9]{5}")  # an invite code as a deep link's start payload


def command_menu(registry) -> list[BotCommand]:
    """The first words of the commands, each with a description: Telegram names cannot hold spaces."""
    groups: dict[str, list] = {}
    for spec in registry.specs.values():
        if spec.console_only:
            continue
        head, _, sub = spec.word.partition(" ")
        groups.setdefault(head, []).append((sub, spec))
    menu = []
    for head, items in groups.items():
        if not _COMMAND_NAME.match(head):
            continue
        alone = next((s for sub, s in items if not sub), None)
        subs = [f"/{head} {sub}" for sub, _ in items if sub]
        parts = [alone.summary] if alone else []
        if subs:
            parts.append(("also " if alone else "") + ", ".join(subs))
        desc = "; ".join(parts)
        if any(s.moderator for _, s in items):
            desc += " (moderators)"
        menu.append(BotCommand(head, desc[:256]))
    return menu


def plain(text: str) -> str:
    """HTML reply text as plain text, for when Telegram cannot parse the markup."""
    return html.unescape(_TAG.sub("", text))


def keyboard_rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Two short buttons to a row; a long label gets a row of its own."""
    rows: list[list[InlineKeyboardButton]] = []
    for b in buttons:
        if rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= 20 and len(b.text) <= 20:
            rows[-1].append(b)
        else:
            rows.append([b])
    return rows


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _safe_name(name: str | None, fallback: str) -> str:
    name = Path(str(name or "")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\:*?"<>|').strip(" .")
    return (name or fallback)[-100:]


class ChatOrder(BaseUpdateProcessor):
    """Updates of one chat in arrival order; different chats concurrently, at most `limit` at a time."""

    def __init__(self, limit: int):
        # the base class semaphore is made wide so that it never reorders; `limit` applies after ordering
        super().__init__(max_concurrent_updates=1 << 30)
        self._limit = asyncio.Semaphore(limit)
        self._tails: dict[Any, asyncio.Future] = {}

    @staticmethod
    def _key(update: object) -> Any:
        if isinstance(update, Update) and update.effective_chat is not None:
            return update.effective_chat.id
        return id(update)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        previous = self._tails.get(key)
        done = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._limit:
                await coroutine
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class TooLarge(Exception):
    pass


@dataclass
class _Album:
    """Photos sent together arrive as separate messages; they are gathered into one delivery."""

    messages: list[Message] = field(default_factory=list)
    event_id: str = ""
    task: asyncio.Task | None = None


START_NEW = "new"  # /start payload: open a case here, in the private chat
PRIVACY_NOTE = (
    "Note: in this group I only see commands, so the client's plain messages are not checked "
    "against the brief. To have them checked, either make me an admin here, or turn off privacy mode "
    "for me (BotFather → /setprivacy → Disable) and then remove me from this group and add me again: "
    "Telegram applies the change only to groups the bot joins after it. Commands work either way."
)


class TelegramAdapter:
    platform = "telegram"

    def __init__(
        self,
        hub: Hub,
        settings: Settings,
        token: str,
        *,
        poll_timeout: float | None = None,
        concurrency: int | None = None,
        album_wait: float | None = None,
    ):
        cfg = settings.telegram
        self.hub = hub
        self.settings = settings
        self.max_file_bytes = min(int(settings.storage.max_attachment_mb * 1e6), DOWNLOAD_LIMIT)
        self.caps = Capabilities(
            max_length=MESSAGE_LIMIT, buttons=True, private_messages=True, markup="html", max_file_bytes=UPLOAD_LIMIT
        )
        self.poll_timeout = float(poll_timeout if poll_timeout is not None else cfg.poll_timeout)
        self.album_wait = float(album_wait if album_wait is not None else cfg.album_wait_seconds)
        self.retries = cfg.send_retries
        self.max_retry_wait = float(cfg.max_retry_wait_seconds)
        self.bot_id = token.split(":", 1)[0]
        self.stats: Counter[str] = Counter()  # updates, handled, ignored, duplicates, errors, retries
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._keys: OrderedDict[str, str] = OrderedDict()
        self._albums: dict[tuple[int, str], _Album] = {}
        self._started = False
        limit = concurrency if concurrency is not None else cfg.concurrent_updates
        self.app: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(cfg.api_base_url)
            .base_file_url(cfg.file_base_url)
            .concurrent_updates(ChatOrder(max(1, limit)))
            .get_updates_read_timeout(self.poll_timeout + 10)
            .build()
        )
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        hub.attach(self)

    # --- life cycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect, publish the command menu, and receive updates; a clear error if Telegram says no."""
        cfg = self.settings.telegram
        try:
            await self._start()
        except InvalidToken:
            await self._abort()
            raise RuntimeError(
                "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN (the token @BotFather gave)."
            ) from None
        except TelegramError as exc:
            await self._abort()
            raise RuntimeError(f"cannot start the Telegram bot ({cfg.api_base_url}): {exc}") from None

    async def _abort(self) -> None:
        with contextlib.suppress(Exception):
            if self.app.updater and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()

    async def _start(self) -> None:
        await self.app.initialize()
        bot = self.app.bot
        with contextlib.suppress(TelegramError):
            await self._call(bot.set_my_commands, commands=command_menu(self.hub.engine.registry))
        if bot.can_read_all_group_messages:
            log.info("@%s sees all group messages: plain messages are scanned for scope creep", bot.username)
        else:
            log.info(
                "@%s has privacy mode on: in groups it sees commands only, so plain messages are not "
                "scanned for scope creep (turn privacy mode off in BotFather to enable it)",
                bot.username,
            )
        await self.app.start()
        cfg = self.settings.telegram
        if cfg.webhook_url:
            secret = os.environ.get(ENV_TELEGRAM_SECRET, "")
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                await self._abort()
                raise RuntimeError(
                    f"{ENV_TELEGRAM_SECRET} must be set (1-256 of A-Z, a-z, 0-9, _ and -) "
                    "for webhook mode: Telegram sends it with every update."
                )
            host, _, port = cfg.listen.rpartition(":")
            if not port.isdigit():
                await self._abort()
                raise RuntimeError(f"[telegram] listen must be host:port, not {cfg.listen!r}")
            await self.app.updater.start_webhook(
                listen=host.strip("[]") or "127.0.0.1",
                port=int(port),
                url_path=urlparse(cfg.webhook_url).path.lstrip("/"),
                webhook_url=cfg.webhook_url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("receiving Telegram updates by webhook on %s", cfg.listen)
        else:
            await self.app.updater.start_polling(
                timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                error_callback=self._polling_error,
            )
            log.info("polling Telegram for updates")
        self._started = True

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        for key, album in list(self._albums.items()):  # files still being gathered are not lost
            if album.task is not None:
                album.task.cancel()
            await self._flush_album(key, 0)
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    @staticmethod
    def _polling_error(exc: TelegramError) -> None:
        log.warning("polling Telegram failed, retrying: %s", exc)

    # --- incoming --------------------------------------------------------------------------------
    def _first_time(self, update: Update) -> bool:
        if update.update_id in self._recent:
            return False
        self._recent[update.update_id] = None
        while len(self._recent) > 10_000:
            self._recent.popitem(last=False)
        return True

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update passes here; only new messages and button presses reach the engine."""
        self.stats["updates"] += 1
        try:
            if not self._first_time(update):
                self.stats["duplicates"] += 1
                log.info("update %s delivered again: skipped", update.update_id)
            elif update.callback_query is not None:
                await self._on_button(update)
            elif update.message is not None:
                await self._on_message(update, update.message)
            else:
                self.stats["ignored"] += 1
                log.debug("update %s ignored: not a new message or a button press", update.update_id)
        finally:
            self.stats["handled"] += 1

    def _event_id(self, update: Update) -> str:
        return f"{self.bot_id}:{update.update_id}"

    def _command_text(self, text: str, chat_type: str) -> str | None:
        """The text for the engine, or None when a command is meant for another bot."""
        if not text.startswith("/"):
            return text
        word, _, addressed = text.split(maxsplit=1)[0].partition("@")
        me = (self.app.bot.username or "").lower()
        if addressed and addressed.lower() != me:
            return None
        if word.lower() == "/start":  # a private chat's first message, or a tapped deep link
            return self._start_payload(text.split(maxsplit=1)[1] if " " in text.strip() else "", chat_type)
        if chat_type != ChatType.PRIVATE and not addressed:
            words = {w.split()[0] for w in self.hub.engine.registry.specs}
            if word[1:].lower() not in words:  # another bot's command in a shared group
                return None
        return text

    @staticmethod
    def _start_payload(payload: str, chat_type: str) -> str:
        """`/start <payload>` from a deep link: an invite code joins (the role is confirmed by a button),
        `new` opens a case; anything else, or no payload, shows the help."""
        payload = payload.strip()
        if chat_type == ChatType.PRIVATE and payload == START_NEW:
            return "/case new"
        if chat_type == ChatType.PRIVATE and _INVITE.fullmatch(payload):
            return f"/case join {payload}"
        return "/help"

    async def _on_message(self, update: Update, msg: Message) -> None:
        user = msg.from_user
        raw = msg.text or msg.caption or ""
        if msg.migrate_to_chat_id or msg.migrate_from_chat_id:  # announced in the old chat and the new one
            old, new = (
                (msg.chat.id, msg.migrate_to_chat_id)
                if msg.migrate_to_chat_id
                else (msg.migrate_from_chat_id, msg.chat.id)
            )
            await self._migrated(old, new)
            return
        if msg.forward_origin is not None or msg.is_automatic_forward:
            self.stats["ignored"] += 1  # forwarded words are not the sender's own
            return
        if msg.sender_chat is not None or user is None:
            self.stats["ignored"] += 1
            if raw.startswith("/") and msg.chat.type != ChatType.CHANNEL:
                await self._send(
                    msg.chat.id,
                    replies.error(
                        "anonymous",
                        "I cannot tell who sent that: commands sent anonymously or on behalf of a "
                        "channel are not accepted. Turn off 'Remain anonymous' and send it again.",
                    ),
                )
            return
        if user.is_bot:
            self.stats["ignored"] += 1
            return
        if msg.media_group_id:  # one of several files sent together: the caption is on one of them
            self._gather(update, msg)
            return
        text = self._command_text(raw, msg.chat.type)
        if not text:
            self.stats["ignored"] += 1
            return
        await self._handle_messages(self._event_id(update), [msg], text)

    async def _migrated(self, old: int | str, new: int | str) -> None:
        """A group became a supergroup (a new chat id): its case, its parties' address and the notices
        waiting for it move to the new id."""
        try:
            await self.hub.move_chat(self.platform, str(old), str(new))
        except Exception:
            log.exception("could not move chat %s to %s", old, new)

    def _gather(self, update: Update, msg: Message) -> None:
        key = (msg.chat.id, msg.media_group_id)
        album = self._albums.get(key)
        if album is None:
            album = self._albums[key] = _Album(event_id=self._event_id(update))
            album.task = asyncio.create_task(self._flush_album(key, self.album_wait))
        album.messages.append(msg)

    async def _flush_album(self, key: tuple[int, str], wait: float) -> None:
        await asyncio.sleep(wait)
        album = self._albums.pop(key, None)
        if album is None:
            return
        text = next((m.caption for m in album.messages if m.caption), "") or ""
        text = self._command_text(text, album.messages[0].chat.type) or ""
        if not text:
            return
        try:
            await self._handle_messages(album.event_id, album.messages, text)
        except Exception:
            self.stats["errors"] += 1
            log.exception("album %s in chat %s failed", key[1], key[0])

    async def _handle_messages(self, event_id: str, msgs: list[Message], text: str) -> None:
        first = msgs[0]
        user, chat = first.from_user, first.chat
        folder = None
        try:
            attachments: list[Attachment] = []
            word = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") else ""
            too_long = len(text) > self.settings.limits.max_message_chars  # the engine refuses it unread
            if word in FILE_COMMANDS and not too_long and any(self._file_of(m) for m in msgs):
                folder = Path(tempfile.mkdtemp(prefix="mediator-tg-"))
                try:
                    for m in msgs:
                        attachments += await self._download(m, folder)
                except TooLarge as exc:
                    await self._send(chat.id, replies.error("file_too_large", f"{exc} Nothing was delivered."))
                    return
            incoming = Incoming(
                platform=self.platform,
                chat_id=str(chat.id),
                user_id=str(user.id),
                user_name=user.full_name or user.username or str(user.id),
                text=text,
                attachments=attachments,
                private=chat.type == ChatType.PRIVATE,
                message_id=event_id,
            )
            out = await self._dispatch(incoming)
            if any(r.type == "error" and r.data.get("delete_message") for r in out):
                await self._delete(msgs)
        finally:
            if folder is not None:  # off the event loop: a delivery may be many megabytes
                await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)

    async def _delete(self, msgs: list[Message]) -> None:
        """Take a message out of a group's history (a blind offer typed in public). Telegram lets a bot
        do that where it is an admin with the right to delete; elsewhere the reply asks the sender to."""
        for m in msgs:
            try:
                await self._call(self.app.bot.delete_message, chat_id=m.chat.id, message_id=m.message_id)
                self.stats["deleted"] += 1
            except TelegramError as exc:
                log.info("could not delete message %s in chat %s: %s", m.message_id, m.chat.id, exc)

    async def _on_button(self, update: Update) -> None:
        """A button press is its command typed by the presser; the press is answered either way."""
        query = update.callback_query
        data = query.data or ""
        command = self._keys.get(data[2:]) if data.startswith("k:") else data
        if not command or not command.startswith("/"):
            await self._answer(query, "This button has expired; please type the command instead.")
            return
        user = query.from_user
        msg = query.message
        chat_id = msg.chat.id if msg is not None else user.id
        private = msg is None or msg.chat.type == ChatType.PRIVATE
        incoming = Incoming(
            platform=self.platform,
            chat_id=str(chat_id),
            user_id=str(user.id),
            user_name=user.full_name or user.username or str(user.id),
            text=command,
            private=private,
            message_id=f"cq:{query.id}",
        )
        out = await self.hub.dispatch(incoming)
        error = next((r for r in out if r.type == "error"), None)
        await self._answer(query, error.text[:200] if error else None)
        await self._deliver_all(out, incoming)

    async def _answer(self, query, text: str | None) -> None:
        try:
            await self._call(query.answer, text=text)
        except TelegramError as exc:  # e.g. a press older than Telegram keeps open
            log.info("could not answer a button press: %s", exc)

    @staticmethod
    def _file_of(msg: Message):
        if msg.photo:
            best = max(msg.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
            return best, f"photo-{best.file_unique_id}.jpg", "image/jpeg"
        for kind in ("document", "video", "audio", "voice", "animation"):
            obj = getattr(msg, kind)
            if obj is not None:
                return (
                    obj,
                    _safe_name(getattr(obj, "file_name", None), f"{kind}-{obj.file_unique_id}"),
                    obj.mime_type or "",
                )
        return None

    def _too_large(self, name: str, size: int) -> TooLarge:
        limit = self.max_file_bytes / 1e6
        if size > DOWNLOAD_LIMIT and self.max_file_bytes == DOWNLOAD_LIMIT:
            return TooLarge(
                f"{name} is {size / 1e6:.1f} MB; Telegram lets bots download files up to "
                f"{limit:.0f} MB. Share a link to it in /deliver instead."
            )
        return TooLarge(f"{name} is {size / 1e6:.1f} MB; the limit is {limit:g} MB.")

    async def _download(self, msg: Message, folder: Path) -> list[Attachment]:
        found = self._file_of(msg)
        if found is None:
            return []
        obj, name, mime = found
        if (obj.file_size or 0) > self.max_file_bytes:
            raise self._too_large(name, obj.file_size)
        try:
            tg_file = await self._call(obj.get_file)
        except BadRequest as exc:
            if "too big" in str(exc).lower():
                raise self._too_large(name, max(obj.file_size or 0, DOWNLOAD_LIMIT + 1)) from None
            raise
        if (tg_file.file_size or 0) > self.max_file_bytes:
            raise self._too_large(name, tg_file.file_size)
        path = folder / f"{len(list(folder.iterdir())):03d}-{name}"
        await self._call(tg_file.download_to_drive, path)
        size = path.stat().st_size
        if size > self.max_file_bytes:
            raise self._too_large(name, size)
        return [Attachment(name=name, path=str(path), size=size, mime=mime)]

    async def _dispatch(self, incoming: Incoming) -> list[Reply]:
        out = await self.hub.dispatch(incoming)
        if (
            not incoming.private
            and not self.app.bot.can_read_all_group_messages
            and any(
                r.type in (ReplyKind.CASE_CREATED, ReplyKind.CASE_STATUS)
                and r.data.get("brief_agreed") is not True
                and r.to == Address(self.platform, incoming.chat_id)
                for r in out
                if r.type != "error"
            )
        ):
            out.append(
                Reply(
                    text=PRIVACY_NOTE,
                    data={"type": ReplyKind.NOTICE, "about": "privacy_mode"},
                    to=Address(self.platform, incoming.chat_id),
                )
            )
        await self._deliver_all(out, incoming)
        return out

    async def _deliver_all(self, replies: list[Reply], incoming: Incoming) -> None:
        """Each reply on its own: one that cannot go out now waits in the hub's outbox, the rest still go."""
        for reply in replies:
            try:
                await self._deliver(reply, reply.to, incoming)
            except Exception as exc:
                log.warning("a reply to %s could not be sent now (%s); kept for later", reply.to, exc)
                await self.hub.keep(reply)

    # --- outgoing --------------------------------------------------------------------------------
    async def send(self, reply: Reply, to: Address) -> None:
        """Notices from conversations on other platforms."""
        await self._deliver(reply, to)

    async def show_progress(self, reply: Reply, to: Address) -> tuple[int | str, int]:
        """A "checking N files…" note, deleted once the answer is there (`clear_progress`)."""
        target = to.user_id or to.chat_id
        msg = await self._call(self.app.bot.send_message, chat_id=target, text=plain(render(reply, self.caps)))
        return msg.chat_id, msg.message_id

    async def clear_progress(self, handle: tuple[int | str, int]) -> None:
        chat_id, message_id = handle
        try:
            await self._call(self.app.bot.delete_message, chat_id=chat_id, message_id=message_id)
        except TelegramError as exc:  # e.g. older than Telegram lets a bot delete: it just stays
            log.info("could not delete progress note %s in chat %s: %s", message_id, chat_id, exc)

    async def _deliver(self, reply: Reply, to: Address, incoming: Incoming | None = None) -> None:
        target = to.user_id if to.user_id else to.chat_id
        try:
            await self._send(target, reply)
        except (Forbidden, BadRequest) as exc:
            private = bool(to.user_id) or reply.private
            if not private or (isinstance(exc, BadRequest) and "chat not found" not in str(exc).lower()):
                raise
            if incoming is None or incoming.chat_id == str(target) or incoming.user_id != str(target):
                # someone else, who never started the bot: raised, so the hub keeps it until they do
                raise
            await self._tell_to_start(incoming)

    async def _tell_to_start(self, incoming: Incoming) -> None:
        """The private content stays private: the group only learns how to open the private chat."""
        bot = self.app.bot.username
        name = html.escape(incoming.user_name, quote=False)
        text = (
            f"{name}, I have a private message for you, but Telegram does not let me write to you first. "
            f"Open a private chat with @{bot}, press Start, then send the command again."
        )
        start = InlineKeyboardButton("Start a private chat", url=f"https://t.me/{bot}?start=hello")
        markup = InlineKeyboardMarkup([[start]])
        await self._call(
            self.app.bot.send_message,
            chat_id=incoming.chat_id,
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )

    def deep_link(self, payload: str) -> str:
        """A link that opens the private chat with the bot and sends `/start <payload>` on Start."""
        return f"https://t.me/{self.app.bot.username}?start={payload}"

    def _links(self, reply: Reply) -> list[InlineKeyboardButton]:
        """Buttons that open a link rather than send a command."""
        if reply.data.get("code") == replies.CHAT_HAS_CASE:  # the way out of a busy group: a private chat
            return [InlineKeyboardButton("Continue in private chat", url=self.deep_link(START_NEW))]
        return []

    def _keyboard(self, reply: Reply) -> InlineKeyboardMarkup | ForceReply | None:
        links = self._links(reply)
        if not reply.options and not links:
            # a question answered in words: the answer comes as a reply, which the bot sees in a
            # group even with privacy mode on
            return ForceReply(input_field_placeholder="Your answer") if reply.data.get("expects_reply") else None
        buttons = []
        for option in reply.options:
            data = option.command
            if len(data.encode()) > CALLBACK_DATA_LIMIT:
                key = secrets.token_urlsafe(12)
                self._keys[key] = option.command
                while len(self._keys) > 5000:
                    self._keys.popitem(last=False)
                data = "k:" + key
            buttons.append(InlineKeyboardButton(option.label[:64], callback_data=data))
        return InlineKeyboardMarkup(keyboard_rows(buttons + links))

    def _invite_link(self, reply: Reply) -> str:
        """A new case's invite as a link: tapped, it opens the private chat and offers to join."""
        code = reply.data.get("invite_code") if reply.type == ReplyKind.CASE_CREATED else None
        if not code or not _INVITE.fullmatch(code):
            return ""
        link = html.escape(self.deep_link(code))
        return f"\nOr send them this link; tapping it joins privately: {link}"

    async def _send(self, chat_id: int | str, reply: Reply) -> None:
        """Text in chunks on line boundaries, images as photos, other files as documents; the
        buttons go on the last message."""
        text = render(reply, self.caps) + self._invite_link(reply)
        markup = self._keyboard(reply)
        files = [f for f in reply.attachments if f.data]
        if len(files) == 1 and self._is_photo(files[0]) and len(text) <= CAPTION_LIMIT:
            await self._send_file(chat_id, files[0], text, markup)
            return
        chunks = [c for c in split(text, MESSAGE_LIMIT) if c.strip()]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1 and not files
            await self._send_text(chat_id, chunk, markup if last else None)
        for i, f in enumerate(files):
            await self._send_file(chat_id, f, "", markup if i == len(files) - 1 else None)

    async def _send_text(self, chat_id, text: str, markup) -> None:
        try:
            await self._call(
                self.app.bot.send_message, chat_id=chat_id, text=text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest as exc:
            if "parse" not in str(exc).lower():
                raise
            log.warning("Telegram could not parse a reply's markup (%s); sent as plain text", exc)
            await self._call(self.app.bot.send_message, chat_id=chat_id, text=plain(text), reply_markup=markup)

    @staticmethod
    def _is_photo(f: OutFile) -> bool:
        return f.mime in ("image/png", "image/jpeg", "image/webp", "image/gif") and len(f.data) <= PHOTO_LIMIT

    async def _send_file(self, chat_id, f: OutFile, caption: str, markup) -> None:
        upload = InputFile(f.data, filename=f.name)
        if self._is_photo(f):
            await self._call(
                self.app.bot.send_photo,
                chat_id=chat_id,
                photo=upload,
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        else:
            await self._call(
                self.app.bot.send_document,
                chat_id=chat_id,
                document=upload,
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )

    async def _call(self, fn: Callable[..., Awaitable[Any]], *args, **kwargs) -> Any:
        """One Bot API call: waits out flood limits (429), retries network failures with backoff,
        follows a group that became a supergroup; other errors go to the caller."""
        delay = 0.5
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                return await fn(*args, **kwargs)
            except RetryAfter as exc:
                wait = _seconds(exc)
                if last or wait > self.max_retry_wait:
                    raise
                self.stats["retries"] += 1
                log.warning("Telegram asks to wait %.0f s (flood limit); retrying", wait)
                await asyncio.sleep(wait)
            except ChatMigrated as exc:
                if last or "chat_id" not in kwargs:
                    raise
                log.warning("chat %s is now supergroup %s", kwargs["chat_id"], exc.new_chat_id)
                await self._migrated(kwargs["chat_id"], exc.new_chat_id)
                kwargs["chat_id"] = exc.new_chat_id
            except BadRequest:
                raise
            except (TimedOut, NetworkError) as exc:
                if last:
                    raise
                self.stats["retries"] += 1
                log.warning("Telegram call failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay *= 2

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error handler: log, and tell the chat plainly when an answer was lost."""
        self.stats["errors"] += 1
        err = context.error
        if isinstance(err, (NetworkError, RetryAfter, Forbidden)):
            log.warning("update %s: Telegram call failed: %s", getattr(update, "update_id", "?"), err)
        else:
            log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=err)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or isinstance(err, Forbidden):
            return
        with contextlib.suppress(TelegramError):
            await self.app.bot.send_message(
                chat_id=chat.id,
                text="Sorry, I could not finish answering that. "
                "Send /case status to see where things stand, then try again.",
            )


def build(hub: Hub, settings: Settings, token: str) -> TelegramAdapter:
    return TelegramAdapter(hub, settings, token)
