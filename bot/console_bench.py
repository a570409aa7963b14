"""How long a 1,000-command console conversation takes end to end on SQLite.

    python -m bot.console_bench [--lines 1000] [--db sqlite:///var/bench.db]

Runs `mediator console --json` as a separate process (imports, migrations, every reply) and
reports wall time and commands per second.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def script(lines: int) -> list[str]:
    """Cases opened, joined, briefed, agreed, delivered, approved and checked, over and over."""
    out: list[str] = []
    n = 0
    while len(out) < lines:
        n += 1
        out += [
            f"@f{n} /case new Logo set {n} amount=300 currency=EUR role=freelancer",
            f"@c{n} /case join {{invite}} role=client",
            f"@c{n} /brief 3 logo concepts as SVG and PNG, 2 revision rounds, within 10 days. Budget 300 EUR.",
            f"@f{n} /brief agree",
            f"@f{n} /deliver first concepts",
            f"@c{n} /approve concept 2",
            f"@c{n} /case status",
            f"@f{n} /case status",
            "/help",
            f"@x{n} /deliver not mine",
        ]
    return out[:lines]


def run(lines: int, db: str) -> dict:
    todo = script(lines)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--json", "--db", db],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    start = time.perf_counter()
    invite, replies = "", 0
    for number, line in enumerate(todo, 1):
        proc.stdin.write(line.replace("{invite}", invite) + "\n")
        proc.stdin.flush()
        while True:
            msg = json.loads(proc.stdout.readline())
            if msg.get("done") == number:
                break
            replies += 1
            if msg["data"].get("type") == "case_created":
                invite = msg["data"]["invite_code"]
    proc.stdin.close()
    proc.wait()
    wall = time.perf_counter() - start
    return {
        "commands": lines,
        "replies": replies,
        "seconds": round(wall, 2),
        "commands_per_second": round(lines / wall, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(args.lines, args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")))


if __name__ == "__main__":
    main()
