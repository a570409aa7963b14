"""Telegram updates in: messages, albums, button presses and files become neutral `Incoming`s, each
chat's updates in order."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    TelegramError,
)
from telegram.ext import BaseUpdateProcessor, ContextTypes

from mediation.i18n import L_, _, choose, reading_as
from mediation.vocabulary import ReplyKind

from ... import replies
from ...messages import Address, Attachment, Incoming, Reply
from .limits import _INVITE, DOWNLOAD_LIMIT, FILE_COMMANDS, PRIVACY_NOTE, START_NEW

log = logging.getLogger("mediator.telegram")


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


class Inbound:
    """The incoming half of `TelegramAdapter`."""

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
        word, _sep, addressed = text.split(maxsplit=1)[0].partition("@")
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
                        L_(
                            "I cannot tell who sent that: commands sent anonymously or on behalf of a "
                            "channel are not accepted. Turn off 'Remain anonymous' and send it again."
                        ),
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
                    with reading_as(await self._locale(user)):
                        problem = L_("{problem} Nothing was delivered.", problem=exc.args[0])
                        await self._send(chat.id, replies.error("file_too_large", problem))
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
                locale=user.language_code,
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
            with reading_as(await self._locale(query.from_user)):
                await self._answer(query, _("This button has expired; please type the command instead."))
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
            locale=user.language_code,
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
                L_(
                    "{name} is {size} MB; Telegram lets bots download files up to {limit} MB. Share a link to it "
                    "in /deliver instead.",
                    name=name,
                    size=f"{size / 1e6:.1f}",
                    limit=f"{limit:.0f}",
                )
            )
        return TooLarge(
            L_("{name} is {size} MB; the limit is {limit} MB.", name=name, size=f"{size / 1e6:.1f}", limit=f"{limit:g}")
        )

    async def _locale(self, user) -> str:
        """The language to answer someone in outside the engine: their /lang choice, else Telegram's."""
        hint = getattr(user, "language_code", None)
        if user is None:
            return choose(hint)
        try:
            reader = await asyncio.to_thread(self.hub.engine.reader, self.platform, str(user.id), hint)
            return reader.locale
        except Exception:
            log.exception("could not read the language of %s", user.id)
            return choose(hint)

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
            with reading_as(next((r.locale for r in out), None)):
                out.append(
                    Reply(
                        text=_(PRIVACY_NOTE),
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
