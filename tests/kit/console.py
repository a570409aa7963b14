"""The console as a program drives it: a real `mediator console --json` process, line by line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.kit.replies import History, Turn

MEDIATOR = [sys.executable, "-m", "bot"]


def start_console(cwd: Path, db: str, *extra: str) -> subprocess.Popen:
    """A real `mediator console --json` process on `db`, its pipes open as text, unbuffered."""
    return subprocess.Popen(
        MEDIATOR + ["console", "--json", "--db", db, *extra],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


class ConsoleDriver(History):
    """Writes one line, reads JSON replies until the turn's `done` marker."""

    def __init__(self, cwd: Path, db: str, *extra: str):
        self.proc = start_console(cwd, db, *extra)
        self.n = 0
        self._turns: list[Turn] = []

    async def say(self, who: str | None, text: str) -> Turn:
        """`who` speaks (`@who text`; None: whoever speaks now); the common driver API."""
        return self.line(text if who is None else f"@{who} {text}")

    def line(self, line: str) -> Turn:
        """Types one raw line; the replies to it (dicts: to, private, text, data)."""
        self.n += 1
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = Turn()
        while True:
            raw = self.proc.stdout.readline()
            assert raw, f"console ended early: {self.proc.stderr.read()}"
            msg = json.loads(raw)
            if "done" in msg:
                assert msg["done"] == self.n
                self._turns.append(out)
                return out
            out.append(msg)

    def close(self) -> str:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        return self.proc.stderr.read()
