"""A fake Discord on 127.0.0.1: the REST v10 routes and the WebSocket gateway that discord.py uses.

It records every call (method, path, JSON body, uploaded files, time), keeps the messages it was sent
so a test can press their buttons, numbers gateway events in sequence, and can drop the
connection (the client then RESUMEs and gets the events it missed), answer 429 with retry-after, or
refuse a route with an error status.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.kit import wait

APP_ID = 900000000000000001
BOT_ID = 900000000000000002
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001  # where the parties talk
MOD_CHANNEL_ID = 920000000000000002  # the moderators' channel
OTHER_CHANNEL_ID = 920000000000000003
MOD_ROLE_ID = 930000000000000001
EPHEMERAL = 1 << 6
GUILD_MESSAGES_INTENT = 1 << 9
MESSAGE_CONTENT_INTENT = 1 << 15


def user(uid: int, name: str) -> dict:
    return {
        "id": str(uid),
        "username": name,
        "global_name": name.capitalize(),
        "discriminator": "0",
        "avatar": None,
        "bot": False,
    }


@dataclass
class Call:
    method: str
    path: str
    query: dict
    json: Any
    files: list[tuple[str, bytes]]
    at: float


@dataclass
class Person:
    id: int
    name: str
    roles: list[int] = field(default_factory=list)

    def payload(self) -> dict:
        return user(self.id, self.name)


def _json(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    # discord.py reads JSON only when the content type is exactly application/json (no charset)
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


class FakeDiscord:
    def __init__(self) -> None:
        self.ids = itertools.count(950000000000000001)
        self.calls: list[Call] = []
        self.messages: dict[str, dict] = {}
        self.interactions: dict[str, dict] = {}  # interaction id -> payload
        self.tokens: dict[str, str] = {}  # token -> interaction id
        self.sent_at: dict[str, float] = {}  # interaction id -> when the event left the gateway
        self.commands: list[dict] = []
        self.locales: dict[int, str] = {}  # a person's client language (interaction locale), by user id
        self.threads: dict[str, dict] = {}  # thread id -> channel object
        self.thread_members: dict[str, set[int]] = {}
        self.files: dict[str, bytes] = {}
        self.gateway_ops: list[int] = []
        self.identifies = 0
        self.intents = 0  # what the last IDENTIFY asked for
        self.resumes = 0
        self.session_id = "gw-1"
        self.seq = 0
        self.events: list[dict] = []
        self.ws: web.WebSocketResponse | None = None
        self.connected = asyncio.Event()
        self.accepting = asyncio.Event()  # cleared: new gateway connections wait (Discord is away)
        self.accepting.set()
        self.replayed = 0  # events a RESUME delivered late
        self.heartbeat_ms = 1000
        self._rules: list[dict] = []
        self._changed = asyncio.Condition()
        self.runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway)
        app.router.add_get("/files/{name}", self.file)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- scripted failures

    def rate_limit(self, method: str, path: str, retry_after: float, times: int = 1) -> None:
        """The next `times` calls to a path (regex) answer 429 with retry-after."""
        self._rules.append(
            {
                "method": method,
                "path": re.compile(path),
                "times": times,
                "status": 429,
                "body": {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                "headers": {"Retry-After": str(retry_after), "Via": "1.1 google", "X-RateLimit-Scope": "user"},
            }
        )

    def refuse(
        self,
        method: str,
        path: str,
        status: int = 403,
        code: int = 50013,
        message: str = "Missing Permissions",
        times: int = 1000,
    ) -> None:
        self._rules.append(
            {
                "method": method,
                "path": re.compile(path),
                "times": times,
                "status": status,
                "body": {"message": message, "code": code},
                "headers": {},
            }
        )

    def _rule(self, method: str, path: str) -> dict | None:
        for r in self._rules:
            if r["times"] > 0 and r["method"] == method and r["path"].search(path):
                r["times"] -= 1
                return r
        return None

    # -- REST

    async def rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: list[tuple[str, bytes]] = []
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files.append((part.filename or part.name, bytes(await part.read())))
        call = Call(request.method, path, dict(request.query), body, files, time.perf_counter())
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()
        rule = self._rule(request.method, path)
        if rule:
            return _json(rule["body"], rule["status"], rule["headers"])
        if (
            request.headers.get("Authorization") != "Bot test-token"
            and not path.startswith("/interactions/")
            and not path.startswith("/webhooks/")
        ):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return self.route(request.method, path, call)

    def route(self, method: str, path: str, call: Call) -> web.Response:
        m = re.fullmatch
        if method == "GET" and path == "/users/@me":
            return _json({**user(BOT_ID, "mediator"), "bot": True, "verified": True, "mfa_enabled": False, "flags": 0})
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": str(APP_ID),
                    "name": "Mediator",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "00",
                    "owner": user(1, "owner"),
                    "flags": 0,
                    "team": None,
                }
            )
        if method == "PUT" and (
            m(rf"/applications/{APP_ID}/commands", path) or m(rf"/applications/{APP_ID}/guilds/\d+/commands", path)
        ):
            guild = re.search(r"guilds/(\d+)", path)
            self.commands = [
                {
                    "description": "",  # Discord answers with an empty one for menu commands
                    **c,
                    "id": str(next(self.ids)),
                    "application_id": str(APP_ID),
                    "version": "1",
                    **({"guild_id": guild.group(1)} if guild else {}),
                }
                for c in call.json
            ]
            return _json(self.commands)
        if method == "POST" and (hit := m(r"/interactions/(\d+)/([^/]+)/callback", path)):
            return self.callback(hit.group(1), call)
        if hit := m(rf"/webhooks/{APP_ID}/([^/]+)(/messages/(@original|\d+))?", path):
            return self.webhook(method, hit.group(1), hit.group(3), call)
        if method == "POST" and (hit := m(r"/channels/(\d+)/threads", path)):
            return _json(self.open_thread(hit.group(1), call.json or {}), 201)
        if method == "PUT" and (hit := m(r"/channels/(\d+)/thread-members/(\d+)", path)):
            if hit.group(1) not in self.threads:
                return _json({"message": "Unknown Channel", "code": 10003}, 404)
            self.thread_members[hit.group(1)].add(int(hit.group(2)))
            return web.Response(status=204)
        if method == "DELETE" and (hit := m(r"/channels/(\d+)", path)):
            self.threads.pop(hit.group(1), None)
            return _json({"id": hit.group(1), "type": 12})
        if method == "PATCH" and (hit := m(r"/channels/(\d+)/messages/(\d+)", path)):
            msg = self.messages.get(hit.group(2))
            if msg is None or msg["channel_id"] != hit.group(1):
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            body = call.json or {}
            for k in ("content", "embeds", "components"):
                if k in body:
                    msg[k] = body[k]
            msg["edited_timestamp"] = "2026-03-02T09:01:00+00:00"
            return _json(msg)
        if method == "POST" and (hit := m(r"/channels/(\d+)/messages", path)):
            return _json(self.store_message(hit.group(1), call.json or {}, call.files))
        if method == "POST" and path == "/users/@me/channels":
            rid = int(call.json["recipient_id"])
            return _json(
                {"id": str(rid + 7), "type": 1, "recipients": [user(rid, f"user{rid}")], "last_message_id": None}
            )
        return _json({"message": f"404: Not Found ({method} {path})", "code": 0}, 404)

    def open_thread(self, parent_id: str, body: dict) -> dict:
        tid = str(next(self.ids))
        thread = {
            "id": tid,
            "type": body.get("type", 12),
            "guild_id": str(GUILD_ID),
            "parent_id": str(parent_id),
            "owner_id": str(BOT_ID),
            "name": body.get("name", ""),
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": "2026-03-02T09:00:00+00:00",
                "locked": False,
                "invitable": body.get("invitable", True),
            },
        }
        self.threads[tid] = thread
        self.thread_members[tid] = {BOT_ID}
        return thread

    def store_message(
        self, channel_id: str, body: dict, files: list[tuple[str, bytes]], interaction_id: str | None = None
    ) -> dict:
        mid = str(next(self.ids))
        msg = {
            "id": mid,
            "channel_id": str(channel_id),
            "type": 0 if interaction_id is None else 20,
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "flags": body.get("flags") or 0,
            "attachments": [
                {"id": str(i), "filename": n, "size": len(d), "url": f"http://x/{n}", "proxy_url": f"http://x/{n}"}
                for i, (n, d) in enumerate(files)
            ],
            "timestamp": "2026-03-02T09:00:00+00:00",
            "edited_timestamp": None,
            "author": {**user(BOT_ID, "mediator"), "bot": True},
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "allowed_mentions": body.get("allowed_mentions"),
            "_interaction": interaction_id,
        }
        self.messages[mid] = msg
        return msg

    def callback(self, interaction_id: str, call: Call) -> web.Response:
        inter = self.interactions.get(interaction_id)
        if inter is None:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if inter.get("_answered"):
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        inter["_answered"] = True
        body = call.json or {}
        kind = body.get("type")
        data = body.get("data") or {}
        info = {
            "id": interaction_id,
            "type": inter["type"],
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
        }
        resource: dict = {"type": kind}
        if kind == 9:  # a modal: the person sees a form
            inter["_modal"] = data
        if kind in (4, 5):
            msg = self.store_message(inter["channel_id"], data, call.files, interaction_id)
            inter["_original"] = msg["id"]
            info["response_message_id"] = msg["id"]
            resource["message"] = msg
        return _json({"interaction": info, "resource": resource})

    def webhook(self, method: str, token: str, which: str | None, call: Call) -> web.StreamResponse:
        iid = self.tokens.get(token)
        inter = self.interactions.get(iid or "")
        if inter is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        if which is None and method == "POST":
            return _json(self.store_message(inter["channel_id"], call.json or {}, call.files, iid))
        mid = inter.get("_original") if which == "@original" else which
        if mid not in self.messages:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if method == "DELETE":
            self.messages.pop(mid)
            return web.Response(status=204)
        if method == "PATCH":
            msg = self.messages[mid]
            body = call.json or {}
            for k in ("content", "embeds", "components", "allowed_mentions"):
                if k in body:
                    msg[k] = body[k]
            return _json(msg)
        return _json(self.messages[mid])

    async def file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.calls.append(Call("GET", f"/files/{name}", {}, None, [], time.perf_counter()))
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="application/octet-stream")

    # -- gateway

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        await self.accepting.wait()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None, "t": None}))
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            op = data.get("op")
            self.gateway_ops.append(op)
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                self.identifies += 1
                self.intents = int(data["d"].get("intents") or 0)
                self.session_id = f"gw-{self.identifies}"
                self.seq = 0
                self.events = []
                await self._event(
                    "READY",
                    {
                        "v": 10,
                        "user": {**user(BOT_ID, "mediator"), "bot": True},
                        "session_id": self.session_id,
                        "resume_gateway_url": self.gateway_url,
                        "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                        "application": {"id": str(APP_ID), "flags": 0},
                    },
                )
                await self._event("GUILD_CREATE", self.guild())
                self.connected.set()
            elif op == 6:
                self.resumes += 1
                if data["d"]["session_id"] != self.session_id:
                    await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
                    continue
                last = data["d"]["seq"] or 0
                for ev in [e for e in self.events if e["s"] > last]:
                    self.replayed += 1
                    await ws.send_str(json.dumps(ev))
                await self._event("RESUMED", {})
                self.connected.set()
        if self.ws is ws:
            self.ws = None
            self.connected.clear()
        return ws

    async def _event(self, name: str, data: dict) -> None:
        self.seq += 1
        ev = {"op": 0, "t": name, "s": self.seq, "d": data}
        self.events.append(ev)
        if name == "INTERACTION_CREATE":
            self.sent_at.setdefault(data["id"], time.perf_counter())
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str(json.dumps(ev))
            except ConnectionError:
                pass

    async def drop(self, code: int = 4000) -> None:
        """Close the gateway connection as Discord does when it restarts a node."""
        ws, self.ws = self.ws, None
        self.connected.clear()
        if ws is not None:
            await ws.close(code=code, message=b"node restarting")

    async def replay(self, interaction_id: str) -> None:
        """Send an interaction again (a duplicate delivery)."""
        await self._event("INTERACTION_CREATE", self.interactions[interaction_id])

    def guild(self) -> dict:
        def role(rid: int, name: str, pos: int) -> dict:
            return {
                "id": str(rid),
                "name": name,
                "permissions": "0",
                "position": pos,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }

        def channel(cid: int, name: str, pos: int) -> dict:
            return {
                "id": str(cid),
                "type": 0,
                "name": name,
                "position": pos,
                "permission_overwrites": [],
                "guild_id": str(GUILD_ID),
                "nsfw": False,
                "topic": None,
                "last_message_id": None,
            }

        return {
            "id": str(GUILD_ID),
            "name": "Makers",
            "owner_id": "1",
            "unavailable": False,
            "large": False,
            "member_count": 5,
            "roles": [role(GUILD_ID, "@everyone", 0), role(MOD_ROLE_ID, "Moderator", 1)],
            "channels": [
                channel(CHANNEL_ID, "deals", 0),
                channel(MOD_CHANNEL_ID, "mod-queue", 1),
                channel(OTHER_CHANNEL_ID, "other", 2),
            ],
            "members": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "afk_timeout": 300,
            "icon": None,
            "splash": None,
            "banner": None,
            "description": None,
            "vanity_url_code": None,
            "premium_subscription_count": 0,
            "joined_at": "2026-01-01T00:00:00+00:00",
        }

    # -- people acting

    def _base(self, kind: int, who: Person, channel_id: int | None, data: dict) -> dict:
        iid = str(next(self.ids))
        token = f"token-{iid}"
        payload = {
            "id": iid,
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "locale": self.locales.get(who.id, "en-US"),
            "attachment_size_limit": 25 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "app_permissions": "2248473465835073",
        }
        if channel_id is None:  # a direct message with the bot
            dm = str(who.id + 7)
            payload.update(channel_id=dm, channel={"id": dm, "type": 1}, user=who.payload(), context=1)
        else:
            payload.update(
                guild_id=str(GUILD_ID),
                channel_id=str(channel_id),
                guild_locale="en-US",
                context=0,
                channel=self.threads.get(str(channel_id))
                or {
                    "id": str(channel_id),
                    "type": 0,
                    "guild_id": str(GUILD_ID),
                    "name": "deals",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                },
                member={
                    "user": who.payload(),
                    "roles": [str(r) for r in who.roles],
                    "nick": None,
                    "joined_at": "2026-01-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": "2248473465835073",
                    "pending": False,
                },
            )
        self.interactions[iid] = payload
        self.tokens[token] = iid
        return payload

    def member(self, who: Person) -> dict:
        return {
            "user": who.payload(),
            "roles": [str(r) for r in who.roles],
            "nick": None,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }

    async def post(self, who: Person, content: str, channel_id: int = CHANNEL_ID) -> dict:
        """`who` writes a plain message in a server channel. As on Discord, the bot gets MESSAGE_CREATE
        only if it asked for the guild-messages intent, and the text only with the message-content intent."""
        mid = str(next(self.ids))
        msg = {
            "id": mid,
            "channel_id": str(channel_id),
            "guild_id": str(GUILD_ID),
            "type": 0,
            "content": content,
            "embeds": [],
            "components": [],
            "flags": 0,
            "attachments": [],
            "timestamp": "2026-03-02T09:00:00+00:00",
            "edited_timestamp": None,
            "author": who.payload(),
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
        }
        self.messages[mid] = msg
        if self.intents & GUILD_MESSAGES_INTENT:
            seen = msg if self.intents & MESSAGE_CONTENT_INTENT else {**msg, "content": ""}
            member = {k: v for k, v in self.member(who).items() if k != "user"}
            await self._event("MESSAGE_CREATE", {**seen, "member": member})
        return msg

    async def menu(self, who: Person, message_id: str, name: str) -> str:
        """`who` picks a message menu command (Apps → name) on a message; returns the interaction id."""
        msg = {k: v for k, v in self.messages[message_id].items() if not k.startswith("_")}
        data = {
            "id": self.command_id(name),
            "name": name,
            "type": 3,
            "target_id": message_id,
            "resolved": {"messages": {message_id: msg}},
        }
        payload = self._base(2, who, int(msg["channel_id"]), data)
        await self._event("INTERACTION_CREATE", payload)
        return payload["id"]

    async def submit(self, who: Person, opened_by: str, values: dict[str, str]) -> str:
        """`who` fills in and submits the modal the bot answered interaction `opened_by` with."""
        modal = self.interactions[opened_by]["_modal"]
        rows = [
            {
                "type": 1,
                "components": [{"type": 4, "custom_id": c["custom_id"], "value": values.get(c["custom_id"], "")}],
            }
            for row in modal["components"]
            for c in row["components"]
        ]
        channel = self.interactions[opened_by]["channel_id"]
        payload = self._base(5, who, int(channel), {"custom_id": modal["custom_id"], "components": rows})
        await self._event("INTERACTION_CREATE", payload)
        return payload["id"]

    def command_id(self, name: str) -> str:
        return next((c["id"] for c in self.commands if c["name"] == name), "0")

    def attach(self, name: str, data: bytes, content_type: str = "image/jpeg") -> dict:
        """A file the user uploaded with a slash command; served from this fake."""
        self.files[name] = data
        aid = str(next(self.ids))
        return {
            "id": aid,
            "filename": name,
            "size": len(data),
            "content_type": content_type,
            "url": f"http://127.0.0.1:{self.port}/files/{name}",
            "proxy_url": f"http://127.0.0.1:{self.port}/files/{name}",
        }

    async def slash(
        self, who: Person, command: str, channel_id: int | None = CHANNEL_ID, focused: str | None = None, **options: Any
    ) -> str:
        """`who` runs `/command` ("case new", "brief agree", ...) with options; returns the interaction id."""
        names = command.split()
        opts, resolved = [], {}
        for k, v in options.items():
            if v is None:
                continue
            if isinstance(v, dict) and "filename" in v:
                resolved.setdefault("attachments", {})[v["id"]] = v
                opts.append({"name": k, "type": 11, "value": v["id"]})
            else:
                t = 10 if isinstance(v, float) else 4 if isinstance(v, int) else 3
                opt = {"name": k, "type": t, "value": v}
                if k == focused:
                    opt["focused"] = True
                opts.append(opt)
        if len(names) == 2:
            opts = [{"name": names[1], "type": 1, "options": opts}]
        data = {"id": self.command_id(names[0]), "name": names[0], "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        payload = self._base(4 if focused else 2, who, channel_id, data)
        await self._event("INTERACTION_CREATE", payload)
        return payload["id"]

    async def press(
        self,
        who: Person,
        message_id: str,
        label: str | None = None,
        custom_id: str | None = None,
        channel_id: int | None = None,
    ) -> str:
        """`who` presses a button (by label) on a message the bot sent."""
        msg = self.messages[message_id]
        if custom_id is None:
            buttons = [c for row in msg["components"] for c in row["components"]]
            custom_id = next(b["custom_id"] for b in buttons if label is None or b["label"] == label)
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._base(3, who, int(msg["channel_id"]) if channel_id is None else channel_id, data)
        payload["message"] = msg
        await self._event("INTERACTION_CREATE", payload)
        return payload["id"]

    # -- reading what happened

    def answers(self, interaction_id: str) -> list[Call]:
        """The callback and webhook calls that answered one interaction, in order."""
        token = self.interactions[interaction_id]["token"]
        return [
            c
            for c in self.calls
            if c.path.startswith(f"/interactions/{interaction_id}/") or c.path.startswith(f"/webhooks/{APP_ID}/{token}")
        ]

    async def wait_for(self, predicate, timeout: float = 10.0) -> Any:
        """Waits until predicate() is truthy (checked whenever a call arrives) and returns its value."""

        async def loop():
            async with self._changed:
                while not (value := predicate()):
                    await self._changed.wait()
                return value

        return await asyncio.wait_for(loop(), timeout)

    async def settled(self, interaction_id: str, quiet: float = 0.15, timeout: float = 10.0) -> list[Call]:
        """The interaction's answers once it has been answered and nothing more came for `quiet` s."""

        def final() -> bool:  # a defer alone is not an answer yet
            return any(
                not (c.path.endswith("/callback") and (c.json or {}).get("type") in (5, 6))
                for c in self.answers(interaction_id)
            )

        await self.wait_for(final, timeout)
        await wait.quiet(lambda: len(self.calls), period=quiet, timeout=timeout)
        return self.answers(interaction_id)
