"""The console adapter: lines from stdin, replies to stdout; the embedded default.

`@name ` at the start of a line speaks as that user; `/as name` switches for the lines after it.
`--lang es` says which language the people at this console read (like a chat app's language).
With `json_mode` each reply is one JSON line and `{"done": n}` closes the turn of input line n, so
another program can drive a conversation line by line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import threading
from pathlib import Path
from typing import TextIO

from mediation.i18n import _, reading_as
from mediation.vocabulary import Platform

from ..hub import Hub
from ..messages import Address, Incoming, Reply
from ..render import Capabilities, render

_SPEAKER = re.compile(r"^@(\S{1,64})\s+(.*)$", re.S)  # any name without spaces: @Zoë🎨


class ConsoleAdapter:
    platform = Platform.CONSOLE
    caps = Capabilities(max_length=1_000_000, buttons=False)

    def __init__(
        self,
        hub: Hub,
        user: str = "you",
        chat_id: str = "console",
        json_mode: bool = False,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        out_dir: str = "var/out",
        lang: str | None = None,
    ):
        self.hub = hub
        self.user = user
        self.chat_id = chat_id
        self.json_mode = json_mode
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.out_dir = Path(out_dir)
        self.lang = lang  # --lang: the language every console speaker reads (a hint /lang overrides)
        self._saved = 0
        hub.attach(self)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def incoming(self, line: str) -> Incoming | None:
        """Who speaks and what; None for lines that only switch the speaker."""
        text = line.rstrip("\n")
        m = _SPEAKER.match(text.strip())
        user = self.user
        if m:
            user, text = m.group(1), m.group(2)
        elif text.strip().startswith("/as "):
            self.user = text.strip()[4:].strip() or self.user
            return None
        return Incoming(
            platform=self.platform, chat_id=self.chat_id, user_id=user, user_name=user, text=text, locale=self.lang
        )

    async def send(self, reply: Reply, to: Address) -> None:
        """Notices from other platforms' conversations about a console party."""
        self.show(reply)

    def _save_files(self, reply: Reply) -> list[str]:
        paths = []
        for f in reply.attachments:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._saved += 1
            path = self.out_dir / f"{self._saved:04d}-{Path(f.name).name or 'file'}"  # never outside out_dir
            path.write_bytes(f.data)
            paths.append(str(path))
        return paths

    def show(self, reply: Reply) -> None:
        to = reply.to or Address(self.platform, self.chat_id)
        target = to.user_id if (reply.private or to.user_id) else to.chat_id
        text = render(reply, self.caps)
        files = self._save_files(reply)
        if files:
            with reading_as(reply.locale):
                text += "\n" + "\n".join(_("(saved {path})", path=p) for p in files)
        if self.json_mode:
            line = {"to": target, "private": reply.private, "text": text, "data": reply.data}
            if files:
                line["files"] = files
            self.stdout.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        else:
            with reading_as(reply.locale):
                prefix = _("[to {who}, private]", who=target) + " " if reply.private else ""
            self.stdout.write(prefix + text + "\n\n")
        self.stdout.flush()

    async def handle_line(self, line: str, number: int) -> None:
        incoming = self.incoming(line)
        if incoming is not None and incoming.text.strip():
            for reply in await self.hub.dispatch(incoming):
                self.show(reply)
        if self.json_mode:
            self.stdout.write(json.dumps({"done": number}) + "\n")
            self.stdout.flush()

    async def _readline(self) -> str:
        """One line from stdin, read in a daemon thread: a process asked to stop while waiting for
        input ends at once instead of waiting for a line that may never come."""
        loop = asyncio.get_running_loop()
        got: asyncio.Future[str] = loop.create_future()

        def settle(line: str | None, exc: BaseException | None) -> None:
            if not got.done():
                got.set_exception(exc) if exc is not None else got.set_result(line or "")

        def read() -> None:
            try:
                line, exc = self.stdin.readline(), None
            except (OSError, ValueError) as e:  # stdin closed under us
                line, exc = "", e
            with contextlib.suppress(RuntimeError):  # the loop is gone: the process is ending
                loop.call_soon_threadsafe(settle, line, exc)

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        return await got

    async def run(self) -> None:
        """Answer each line before reading the next; end at end of input."""
        interactive = self.stdin.isatty() and not self.json_mode
        number = 0
        while True:
            if interactive:
                self.stdout.write(f"{self.user}> ")
                self.stdout.flush()
            line = await self._readline()
            if not line:
                break
            number += 1
            await self.handle_line(line, number)
