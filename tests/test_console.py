"""The console as a program drives it: a real `mediator console --json` process, line by line."""

from __future__ import annotations

import subprocess

import pytest

from tests.kit.console import MEDIATOR, ConsoleDriver


@pytest.mark.model  # the process loads the model at start-up
def test_console_drives_a_case_line_by_line_and_survives_a_restart(tmp_path):
    db = f"sqlite:///{tmp_path}/m.db"
    c = ConsoleDriver(tmp_path, db)
    created = c.line("@maya /case new Logo set amount=300 currency=EUR role=freelancer").expect("case_created")
    joined = c.line(f"@clara /case join {created['invite_code']} role=client")
    assert joined[0]["to"] == "console" and joined[0]["private"] is False
    assert "Clara" in joined[0]["text"] or "clara" in joined[0]["text"]
    assert c.line("") == []  # an empty line still closes its turn
    c.line("/as clara")
    brief = c.line("/brief 3 logo concepts as SVG and PNG, 2 revision rounds, within 10 days.").expect("brief")
    assert brief["version"] == 1
    assert c.line("@maya /brief agree").expect("brief")["agreed"] is True
    err = c.line("@maya /clock advance soon").expect("error")
    assert err["code"] == "bad_duration"
    assert c.line("@maya /clock advance 3d").expect("clock")["now"]
    assert c.close() == ""

    again = ConsoleDriver(tmp_path, db)  # the same database file in a new process
    status = again.line(f"@clara /case status {created['case_id']}").expect("case_status")
    assert status["brief_agreed"] is True and status["parties"]["freelancer"]["name"] == "maya"
    again.close()


@pytest.mark.model  # the process loads the model at start-up
def test_console_attachments_are_file_tokens(tmp_path):
    c = ConsoleDriver(tmp_path, f"sqlite:///{tmp_path}/m.db")
    created = c.line("@maya /case new Photos amount=88 currency=USD role=freelancer").expect("case_created")
    c.line(f"@clara /case join {created['invite_code']} role=client")
    c.line("@clara /brief 8 product pictures, JPG, within 1 week.")
    c.line("@maya /brief agree")
    pic = tmp_path / "one.jpg"
    pic.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    delivery = c.line(f"@maya /deliver first picture file={pic}").expect("delivery")
    assert delivery["files"][0]["size"] == pic.stat().st_size
    stored = list((tmp_path / "var" / "files").rglob("*"))
    assert any(p.is_file() and p.name == delivery["files"][0]["sha256"] for p in stored)
    missing = c.line(f"@maya /deliver more file={tmp_path}/nope.jpg").expect("error")
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


@pytest.mark.model  # the process loads the model at start-up
def test_db_upgrade_and_demo(tmp_path):
    up = subprocess.run(
        MEDIATOR + ["db", "upgrade", "--db", f"sqlite:///{tmp_path}/u.db"], capture_output=True, text=True, cwd=tmp_path
    )
    assert up.returncode == 0 and "latest schema" in up.stdout
    demo = subprocess.run(MEDIATOR + ["demo"], capture_output=True, text=True, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "Moderator decision" in demo.stdout and "Something went wrong" not in demo.stdout
