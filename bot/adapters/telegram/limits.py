"""Telegram's limits, and the words of the bot's deep links."""

from __future__ import annotations

import re

from mediation.i18n import N_

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

START_NEW = "new"  # /start payload: open a case here, in the private chat
PRIVACY_NOTE = N_(
    "Note: in this group I only see commands, so the client's plain messages are not checked "
    "against the brief. To have them checked, either make me an admin here, or turn off privacy mode "
    "for me (BotFather → /setprivacy → Disable) and then remove me from this group and add me again: "
    "Telegram applies the change only to groups the bot joins after it. Commands work either way."
)
