"""Telegram replies out: HTML in chunks, photos and documents, inline keyboards, deep links; every
Bot API call waits out flood limits and follows a group that became a supergroup."""

from __future__ import annotations

import asyncio
import html
import logging
import secrets
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from mediation.i18n import _, choose, reading_as
from mediation.vocabulary import ReplyKind

from ... import replies
from ...messages import Address, Incoming, OutFile, Reply, Undeliverable
from ...render import render, split
from .limits import _INVITE, _TAG, CALLBACK_DATA_LIMIT, CAPTION_LIMIT, MESSAGE_LIMIT, PHOTO_LIMIT, START_NEW

log = logging.getLogger("mediator.telegram")


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


def undeliverable(exc: TelegramError, private: bool) -> Undeliverable | None:
    """What a refusal means for the outbox: wait for /start, or give up for good; None: not a refusal."""
    text = str(exc).lower()
    if isinstance(exc, Forbidden):
        if "blocked" in text:
            return Undeliverable("blocked", "the person blocked the bot")
        if "initiate conversation" in text or ("chat not found" in text and private):
            return Undeliverable("needs_start", "the person has not started the bot")
        return Undeliverable("gone", "the bot was removed from the chat, or the account was deleted")
    if isinstance(exc, BadRequest) and "chat not found" in text:
        if private:
            return Undeliverable("needs_start", "the person has not started the bot")
        return Undeliverable("gone", "the chat no longer exists")
    return None


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Outbound:
    """The outgoing half of `TelegramAdapter`."""

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
            refused = undeliverable(exc, private)
            if refused is None:
                raise
            if (
                refused.reason != "needs_start"
                or incoming is None
                or incoming.chat_id == str(target)
                or incoming.user_id != str(target)
            ):
                # for good, or someone else who never started the bot: the hub keeps it until they do
                raise refused from exc
            await self._tell_to_start(incoming)

    async def _tell_to_start(self, incoming: Incoming) -> None:
        """The private content stays private: the group only learns how to open the private chat."""
        bot = self.app.bot.username
        name = html.escape(incoming.user_name, quote=False)
        with reading_as(await self._locale_of(incoming)):
            text = _(
                "{name}, I have a private message for you, but Telegram does not let me write to you first. "
                "Open a private chat with {bot}, press Start, then send the command again.",
                name=name,
                bot=f"@{bot}",
            )
            start = InlineKeyboardButton(_("Start a private chat"), url=f"https://t.me/{bot}?start=hello")
        markup = InlineKeyboardMarkup([[start]])
        await self._call(
            self.app.bot.send_message,
            chat_id=incoming.chat_id,
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )

    async def _locale_of(self, incoming: Incoming) -> str:
        try:
            reader = await asyncio.to_thread(self.hub.engine.reader, self.platform, incoming.user_id, incoming.locale)
            return reader.locale
        except Exception:
            log.exception("could not read the language of %s", incoming.user_id)
            return choose(incoming.locale)

    def deep_link(self, payload: str) -> str:
        """A link that opens the private chat with the bot and sends `/start <payload>` on Start."""
        return f"https://t.me/{self.app.bot.username}?start={payload}"

    def _links(self, reply: Reply) -> list[InlineKeyboardButton]:
        """Buttons that open a link rather than send a command."""
        if reply.data.get("code") == replies.CHAT_HAS_CASE:  # the way out of a busy group: a private chat
            with reading_as(reply.locale):
                return [InlineKeyboardButton(_("Continue in private chat"), url=self.deep_link(START_NEW))]
        return []

    def _keyboard(self, reply: Reply) -> InlineKeyboardMarkup | ForceReply | None:
        links = self._links(reply)
        if not reply.options and not links:
            # a question answered in words: the answer comes as a reply, which the bot sees in a
            # group even with privacy mode on
            if not reply.data.get("expects_reply"):
                return None
            with reading_as(reply.locale):
                return ForceReply(input_field_placeholder=_("Your answer"))
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
        with reading_as(reply.locale):
            return "\n" + _("Or send them this link; tapping it joins privately: {link}", link=link)

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
        send, field = (
            (self.app.bot.send_photo, "photo") if self._is_photo(f) else (self.app.bot.send_document, "document")
        )
        await self._call(
            send,
            chat_id=chat_id,
            caption=caption or None,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            **{field: upload},
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
