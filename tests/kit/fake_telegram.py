"""A fake Telegram Bot API on 127.0.0.1: it records every call, serves injected updates to long polls,
serves files for `getFile` downloads, and can fail chosen calls the way Telegram does (429, 400, 403).

The real python-telegram-bot talks to it over real HTTP, so the adapter is tested the way it runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# fields that python-telegram-bot sends as JSON text inside a form
_JSON_FIELDS = {
    "reply_markup",
    "commands",
    "allowed_updates",
    "entities",
    "caption_entities",
    "scope",
    "link_preview_options",
    "reply_parameters",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    status: int = 200

    @property
    def chat_id(self) -> str | None:
        v = self.params.get("chat_id")
        return None if v is None else str(v)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class _Failure:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    match: Callable[[dict], bool] | None
    migrate_to: int | None = None


class FakeTelegram:
    """One bot's view of Telegram. Ids: users are positive, groups negative, as on Telegram."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        username: str = "MediatorTestBot",
        can_read_all_group_messages: bool = True,
    ):
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.can_read_all = can_read_all_group_messages
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}  # file_id -> bytes
        self._file_paths: dict[str, str] = {}  # file_path -> file_id
        self._queue: list[dict] = []
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._closing = False
        self._failures: list[_Failure] = []
        self.forbidden: set[str] = set()  # private chats of users who never started the bot
        self.chats: dict[str, dict] = {}
        self.deleted: list[tuple[str, int]] = []  # (chat id, message id) the bot deleted
        self._ids = itertools.count(1000)
        self._update_ids = itertools.count(500_000)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- server --------------------------------------------------------------------------------
    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _params(self, request: web.Request) -> tuple[dict, dict]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    params[key] = value
        for key in list(params):
            if key in _JSON_FIELDS and isinstance(params[key], str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        # multipart uploads name the file part; the field itself says "attach://<name>"
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                files[key] = files.pop(value[9:])
        return params, files

    def _ok(self, result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    def _error(self, status: int, description: str, **parameters) -> web.Response:
        body = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await self._params(request)
        call = Call(method, params, files)
        self.calls.append(call)
        self._changed.set()
        response = self._injected_failure(method, params)
        if response is None:
            handler = getattr(self, "_m_" + method, None)
            if handler is None:
                response = self._error(404, "Not Found")
            elif method == "getUpdates":
                response = await handler(params, request)
            else:
                response = await handler(params, files)
        call.status = response.status
        return response

    def _injected_failure(self, method: str, params: dict) -> web.Response | None:
        if method.startswith("send") and str(params.get("chat_id")) in self.forbidden:
            return self._error(403, "Forbidden: bot can't initiate conversation with a user")
        for f in self._failures:
            if f.method == method and f.times > 0 and (f.match is None or f.match(params)):
                f.times -= 1
                extra = {}
                if f.retry_after is not None:
                    extra["retry_after"] = f.retry_after
                if f.migrate_to is not None:
                    extra["migrate_to_chat_id"] = f.migrate_to
                return self._error(f.status, f.description, **extra)
        return None

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = self._file_paths.get(request.match_info["path"])
        self.calls.append(Call("download", {"file_path": request.match_info["path"]}))
        if file_id is None:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    # --- Bot API methods ------------------------------------------------------------------------
    async def _m_getMe(self, params, files):
        return self._ok(
            {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Mediator",
                "username": self.username,
                "can_join_groups": True,
                "can_read_all_group_messages": self.can_read_all,
                "supports_inline_queries": False,
            }
        )

    async def _m_deleteWebhook(self, params, files):
        return self._ok(True)

    async def _m_setWebhook(self, params, files):
        return self._ok(True)

    async def _m_setMyCommands(self, params, files):
        return self._ok(True)

    async def _m_getUpdates(self, params, request: web.Request):
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        while not self._queue and not self._closing and time.monotonic() < deadline:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        if request.transport is None or request.transport.is_closing():
            return self._ok([])  # the poller went away (stopped): keep the updates for the next one
        batch, self._queue = self._queue[:limit], self._queue[limit:]
        return self._ok(batch)

    def _message(self, params: dict, **content) -> dict:
        chat_id = str(params["chat_id"])
        chat = self.chats.get(chat_id) or {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "group"}
        msg = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "Mediator", "username": self.username},
        }
        msg.update(content)
        return msg

    async def _m_sendMessage(self, params, files):
        if len(str(params.get("text", ""))) > 4096:
            return self._error(400, "Bad Request: message is too long")
        if not str(params.get("text", "")).strip():
            return self._error(400, "Bad Request: message text is empty")
        return self._ok(self._message(params, text=params["text"]))

    async def _m_sendPhoto(self, params, files):
        data = files.get("photo", b"")
        if len(str(params.get("caption", ""))) > 1024:
            return self._error(400, "Bad Request: message caption is too long")
        fid = self.add_file(data)
        size = {"file_id": fid, "file_unique_id": "u" + fid, "width": 10, "height": 10, "file_size": len(data)}
        content = {"photo": [size]}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._ok(self._message(params, **content))

    async def _m_sendDocument(self, params, files):
        data = files.get("document", b"")
        fid = self.add_file(data)
        content = {"document": {"file_id": fid, "file_unique_id": "u" + fid, "file_size": len(data)}}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._ok(self._message(params, **content))

    async def _m_deleteMessage(self, params, files):
        self.deleted.append((str(params["chat_id"]), int(params["message_id"])))
        return self._ok(True)

    async def _m_answerCallbackQuery(self, params, files):
        return self._ok(True)

    async def _m_getFile(self, params, files):
        fid = params.get("file_id")
        if fid not in self.files:
            return self._error(400, "Bad Request: invalid file_id")
        path = next(p for p, f in self._file_paths.items() if f == fid)
        return self._ok(
            {"file_id": fid, "file_unique_id": "u" + fid, "file_size": len(self.files[fid]), "file_path": path}
        )

    # --- what tests use -------------------------------------------------------------------------
    def add_file(self, data: bytes, ext: str = "bin") -> str:
        fid = "F" + hashlib.sha256(data).hexdigest()[:16] + str(next(self._ids))
        self.files[fid] = data
        self._file_paths[f"documents/{fid}.{ext}"] = fid
        return fid

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        match: Callable[[dict], bool] | None = None,
        migrate_to: int | None = None,
    ) -> None:
        """The next `times` calls of `method` (matching `match`) fail as Telegram would answer."""
        self._failures.append(_Failure(method, status, description, retry_after, times, match, migrate_to))

    def inject(self, *updates: dict) -> None:
        """Queue updates for the next getUpdates; an update injected twice is delivered twice."""
        self._queue.extend(updates)
        self._wake.set()

    @property
    def pending(self) -> int:
        """Updates not yet fetched by the bot."""
        return len(self._queue)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(
                    "timed out waiting; last calls: "
                    + "; ".join(f"{c.method} {c.chat_id} {c.text[:80]!r}" for c in self.calls[-8:])
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 0.05)
            except TimeoutError:
                pass

    def sent(self, chat_id: int | str | None = None, ok_only: bool = True) -> list[Call]:
        """Messages the bot sent (to a chat), in order."""
        return [
            c
            for c in self.calls
            if c.method in ("sendMessage", "sendPhoto", "sendDocument")
            and (chat_id is None or c.chat_id == str(chat_id))
            and (c.status == 200 or not ok_only)
        ]

    def methods(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.method == name]

    # --- building updates -----------------------------------------------------------------------
    def user(self, uid: int, first_name: str, username: str | None = None, language_code: str | None = None) -> dict:
        u = {"id": uid, "is_bot": False, "first_name": first_name}
        if username:
            u["username"] = username
        if language_code:  # the language of the person's Telegram app
            u["language_code"] = language_code
        return u

    def group(self, gid: int, title: str = "Project") -> dict:
        chat = {"id": gid, "type": "supergroup" if gid < -1_000_000_000_000 else "group", "title": title}
        self.chats[str(gid)] = chat
        return chat

    def private(self, user: dict) -> dict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self.chats[str(user["id"])] = chat
        return chat

    def _update(self, kind: str, payload: dict) -> dict:
        return {"update_id": next(self._update_ids), kind: payload}

    def message(
        self, chat: dict, user: dict | None, text: str | None = None, *, kind: str = "message", **extra
    ) -> dict:
        msg: dict[str, Any] = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat}
        if user is not None:
            msg["from"] = user
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        msg.update(extra)
        return self._update(kind, msg)

    def photo(self, chat: dict, user: dict, sizes: list[bytes], caption: str | None = None, **extra) -> dict:
        """A photo as Telegram sends it: several sizes of one picture, smallest first."""
        photo = []
        for i, data in enumerate(sizes):
            fid = self.add_file(data, "jpg")
            photo.append(
                {
                    "file_id": fid,
                    "file_unique_id": "u" + fid,
                    "width": 90 * (i + 1),
                    "height": 90 * (i + 1),
                    "file_size": len(data),
                }
            )
        content: dict[str, Any] = {"photo": photo}
        if caption is not None:
            content["caption"] = caption
        content.update(extra)
        return self.message(chat, user, None, **content)

    def document(
        self,
        chat: dict,
        user: dict,
        data: bytes,
        file_name: str,
        mime: str,
        caption: str | None = None,
        declared_size: int | None = None,
        **extra,
    ) -> dict:
        fid = self.add_file(data, file_name.rsplit(".", 1)[-1])
        doc = {
            "file_id": fid,
            "file_unique_id": "u" + fid,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(data) if declared_size is None else declared_size,
        }
        content: dict[str, Any] = {"document": doc}
        if caption is not None:
            content["caption"] = caption
        content.update(extra)
        return self.message(chat, user, None, **content)

    def callback(self, chat: dict | None, user: dict, data: str, message_id: int | None = None) -> dict:
        """A button press on a message the bot sent in `chat`."""
        query: dict[str, Any] = {"id": str(next(self._ids) * 7919), "from": user, "chat_instance": "ci", "data": data}
        if chat is not None:
            query["message"] = {
                "message_id": message_id or next(self._ids),
                "date": int(time.time()),
                "chat": chat,
                "text": "(buttons)",
            }
        return self._update("callback_query", query)
