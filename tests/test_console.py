"""The console as a program drives it: a real `mediator console --json` process, line by line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MEDIATOR = [sys.executable, "-m", "bot"]


class Console:
    """Writes one line, reads JSON replies until the turn's `done` marker."""

    def __init__(self, tmp_path: Path, db: str, *extra: str):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            MEDIATOR + ["console", "--json", "--db", db, *extra],
            cwd=tmp_path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.n = 0

    def say(self, line: str) -> list[dict]:
        self.n += 1
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = []
        while True:
            raw = self.proc.stdout.readline()
            assert raw, f"console ended early: {self.proc.stderr.read()}"
            msg = json.loads(raw)
            if "done" in msg:
                assert msg["done"] == self.n
                return out
            out.append(msg)

    def close(self) -> str:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        return self.proc.stderr.read()


def first(replies: list[dict], kind: str) -> dict:
    return next(r["data"] for r in replies if r["data"]["type"] == kind)


def test_console_drives_a_case_line_by_line_and_survives_a_restart(tmp_path):
    db = f"sqlite:///{tmp_path}/m.db"
    c = Console(tmp_path, db)
    created = first(c.say("@maya /case new Logo set amount=300 currency=EUR role=freelancer"), "case_created")
    joined = c.say(f"@clara /case join {created['invite_code']} role=client")
    assert joined[0]["to"] == "console" and joined[0]["private"] is False
    assert "Clara" in joined[0]["text"] or "clara" in joined[0]["text"]
    assert c.say("") == []  # an empty line still closes its turn
    c.say("/as clara")
    brief = first(c.say("/brief 3 logo concepts as SVG and PNG, 2 revision rounds, within 10 days."), "brief")
    assert brief["version"] == 1
    assert first(c.say("@maya /brief agree"), "brief")["agreed"] is True
    err = first(c.say("@maya /clock advance soon"), "error")
    assert err["code"] == "bad_duration"
    assert first(c.say("@maya /clock advance 3d"), "clock")["now"]
    assert c.close() == ""

    again = Console(tmp_path, db)  # the same database file in a new process
    status = first(again.say(f"@clara /case status {created['case_id']}"), "case_status")
    assert status["brief_agreed"] is True and status["parties"]["freelancer"]["name"] == "maya"
    again.close()


def test_console_attachments_are_file_tokens(tmp_path):
    c = Console(tmp_path, f"sqlite:///{tmp_path}/m.db")
    created = first(c.say("@maya /case new Photos amount=88 currency=USD role=freelancer"), "case_created")
    c.say(f"@clara /case join {created['invite_code']} role=client")
    c.say("@clara /brief 8 product pictures, JPG, within 1 week.")
    c.say("@maya /brief agree")
    pic = tmp_path / "one.jpg"
    pic.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    delivery = first(c.say(f"@maya /deliver first picture file={pic}"), "delivery")
    assert delivery["files"][0]["size"] == pic.stat().st_size
    stored = list((tmp_path / "var" / "files").rglob("*"))
    assert any(p.is_file() and p.name == delivery["files"][0]["sha256"] for p in stored)
    missing = first(c.say(f"@maya /deliver more file={tmp_path}/nope.jpg"), "error")
    assert missing["code"] == "bad_file"
    c.close()


def test_bad_config_names_the_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[database]\nurl = "sqlite:///x.db"\nauto_migrat = true\n[limits]\nmax_message_chars = "many"\n')
    run = subprocess.run(
        MEDIATOR + ["console", "--json", "--config", str(cfg)], input="", capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 2
    assert "[database] auto_migrat: unknown key" in run.stderr
    assert "[limits] max_message_chars" in run.stderr
    assert "Traceback" not in run.stderr


def test_unreachable_database_is_a_clear_error_without_the_password(tmp_path):
    run = subprocess.run(
        MEDIATOR + ["console", "--json", "--db", "postgresql+psycopg://someone:s3cret@127.0.0.1:1/none"],
        input="",
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert "cannot open the database" in run.stderr and "s3cret" not in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("args", [["--help"], ["console", "--help"], ["run", "--help"], ["db", "--help"]])
def test_help_texts(args):
    run = subprocess.run(MEDIATOR + args, capture_output=True, text=True)
    assert run.returncode == 0 and "Usage" in run.stdout


def test_db_upgrade_and_demo(tmp_path):
    up = subprocess.run(
        MEDIATOR + ["db", "upgrade", "--db", f"sqlite:///{tmp_path}/u.db"], capture_output=True, text=True, cwd=tmp_path
    )
    assert up.returncode == 0 and "latest schema" in up.stdout
    demo = subprocess.run(MEDIATOR + ["demo"], capture_output=True, text=True, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "Moderator decision" in demo.stdout and "Something went wrong" not in demo.stdout
