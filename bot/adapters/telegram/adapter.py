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

import contextlib
import logging
import os
import re
from collections import Counter, OrderedDict
from datetime import timedelta
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import (
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from mediation.config import ENV_TELEGRAM_SECRET, Settings
from mediation.i18n import SUPPORTED, _, reading_as

from ...hub import Hub
from ...render import Capabilities
from .inbound import ChatOrder, Inbound, _Album
from .limits import _COMMAND_NAME, ALLOWED_UPDATES, DOWNLOAD_LIMIT, MESSAGE_LIMIT, UPLOAD_LIMIT
from .outbound import Outbound

log = logging.getLogger("mediator.telegram")


def command_menu(registry) -> list[BotCommand]:
    """The first words of the commands, each with a description: Telegram names cannot hold spaces."""
    groups: dict[str, list] = {}
    for spec in registry.specs.values():
        if spec.console_only:
            continue
        head, _sep, sub = spec.word.partition(" ")
        groups.setdefault(head, []).append((sub, spec))
    menu = []
    for head, items in groups.items():
        if not _COMMAND_NAME.match(head):
            continue
        alone = next((s for sub, s in items if not sub), None)
        subs = ", ".join(f"/{head} {sub}" for sub, _spec in items if sub)
        parts = [_(alone.summary)] if alone else []
        if subs:
            parts.append(_("also {commands}", commands=subs) if alone else subs)
        desc = "; ".join(parts)
        if any(s.moderator for _sub, s in items):
            desc = _("{description} (moderators)", description=desc)
        menu.append(BotCommand(head, desc[:256]))
    return menu


class TelegramAdapter(Inbound, Outbound):
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
            for lang in SUPPORTED[1:]:  # the menu in each language the bot speaks, by the client's language
                with reading_as(lang):
                    menu = command_menu(self.hub.engine.registry)
                await self._call(bot.set_my_commands, commands=menu, language_code=lang)
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
            host, _sep, port = cfg.listen.rpartition(":")
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

    @property
    def connected(self) -> bool:
        return self._started

    async def stop_receiving(self) -> None:
        """The first step of a graceful stop: no new updates (polling or webhook server ends)."""
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()

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
        user = update.effective_user if isinstance(update, Update) else None
        with contextlib.suppress(TelegramError), reading_as(await self._locale(user)):
            await self.app.bot.send_message(
                chat_id=chat.id,
                text=_(
                    "Sorry, I could not finish answering that. Send /case status to see where things stand, then try again."
                ),
            )


def build(hub: Hub, settings: Settings, token: str) -> TelegramAdapter:
    return TelegramAdapter(hub, settings, token)
